import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { fakeWorld, type FakeWorld } from '../../../test/fakes';
import { useConnectionStore } from '../../stores/connection.store';
import ConnectionBanner from './ConnectionBanner.vue';

let world: FakeWorld;
beforeEach(() => {
  world = fakeWorld();
  setActivePinia(createPinia());
});

describe('the connection banner', () => {
  it('is absent while live, then says reconnecting, resumed and failed with a retry button', async () => {
    const c = useConnectionStore();
    const w = mount(ConnectionBanner);
    c.connect();
    const s = world.main();
    s.serverConnect({ head: 4, cursor: 4 });
    await w.vm.$nextTick();
    expect(w.find('[data-testid="connection-banner"]').exists()).toBe(false);

    s.drop();
    s.fireIo('reconnect_attempt', 3);
    await w.vm.$nextTick();
    const banner = w.find('[data-testid="connection-banner"]');
    expect(banner.attributes('role')).toBe('status');
    expect(banner.text()).toContain('Reconnecting (attempt 3)');

    s.serverConnect({ head: 4, cursor: 4 });
    await w.vm.$nextTick();
    expect(w.find('[data-testid="connection-banner"]').text()).toContain('Resumed from event #4');

    s.drop();
    s.fireIo('reconnect_failed');
    await w.vm.$nextTick();
    const failed = w.find('[data-testid="connection-banner"]');
    expect(failed.attributes('role')).toBe('alert');
    const connect = jest.spyOn(s, 'connect');
    await failed.find('button').trigger('click');
    expect(connect).toHaveBeenCalled();
  });
});
