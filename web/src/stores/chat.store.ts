import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, errorMessage, newKey } from '../api/client';
import type { Session, StreamEvent } from '../api/types';
import {
  activeTurn,
  applyEvent,
  emptyTranscript,
  ensureTurn,
  loadHistory,
  type Transcript,
} from '../chat/transcript';
import { deps } from '../deps';
import { useConnectionStore } from './connection.store';
import { useRequestsStore } from './requests.store';

/** `loading` → history is being read; `gone` → the chat was deleted (410) or never existed (404). */
export type ChatPhase = 'empty' | 'loading' | 'ready' | 'error' | 'gone';

/**
 * The open chat: its history, the turn streaming into it, the composer's state. Only events of this
 * chat's thread are applied, and every async step checks it still belongs to the chat that started
 * it, so switching chats never shows another chat's events.
 *
 * Opening a chat whose turn is still running (a reload mid-stream, a second tab) replays that
 * thread's retained events up to the main stream's position over a second socket, then applies what
 * the main stream delivered meanwhile: the reply shows in full, once.
 */
export const useChatStore = defineStore('chat', () => {
  const connection = useConnectionStore();
  const requests = useRequestsStore();

  const sessionId = ref<string | null>(null);
  const session = ref<Session | null>(null);
  const transcript = ref<Transcript>(emptyTranscript());
  const phase = ref<ChatPhase>('empty');
  const error = ref<string | null>(null);
  const sending = ref(false);
  const sendError = ref<string | null>(null);
  /** The text just sent, shown until the runtime echoes it as a user message. */
  const pendingText = ref<string | null>(null);
  const interrupting = ref(false);
  let generation = 0;
  let buffer: StreamEvent[] | null = null;

  const current = computed(() => activeTurn(transcript.value));
  const turns = computed(() => transcript.value.turnOrder.map((id) => transcript.value.turns[id]!));
  const pendingRequests = computed(() =>
    sessionId.value ? requests.forSession(sessionId.value).filter((r) => r.status === 'pending') : [],
  );
  /** What the composer and the status line say. */
  const state = computed<
    'idle' | 'sending' | 'streaming' | 'waiting' | 'completed' | 'failed' | 'interrupted'
  >(() => {
    if (sending.value) return 'sending';
    if (current.value) return pendingRequests.value.length > 0 ? 'waiting' : 'streaming';
    const last = turns.value[turns.value.length - 1];
    if (!last) return 'idle';
    if (last.status === 'failed') return 'failed';
    if (last.status === 'interrupted') return 'interrupted';
    return 'completed';
  });

  function onEvents(events: StreamEvent[]): void {
    const id = sessionId.value;
    if (!id) return;
    const mine = events.filter((e) => e.threadId === id);
    if (mine.length === 0) return;
    if (buffer) {
      buffer.push(...mine);
      return;
    }
    for (const e of mine) apply(e);
  }

  function apply(e: StreamEvent): void {
    applyEvent(transcript.value, e);
    if (e.type === 'runtime.item.started' && pendingText.value !== null) {
      const item = (e.data.params as { item?: { type?: string } } | undefined)?.item;
      if (item?.type === 'userMessage') pendingText.value = null;
    }
    if (e.type === 'session.updated' && session.value) void refreshSession(e.threadId!);
    if (e.type === 'session.deleted') {
      phase.value = 'gone';
      error.value = 'This chat was deleted.';
    }
  }

  async function refreshSession(id: string): Promise<void> {
    try {
      const detail = await deps().sessions.get(id);
      if (sessionId.value === id) session.value = detail.session;
    } catch {
      /* the next event or reload will tell */
    }
  }

  async function open(id: string): Promise<void> {
    const gen = ++generation;
    sessionId.value = id;
    session.value = null;
    transcript.value = emptyTranscript();
    phase.value = 'loading';
    error.value = null;
    sendError.value = null;
    pendingText.value = null;
    buffer = [];
    void requests.load(id);
    try {
      // Position first: everything after it comes from the main stream (buffered meanwhile).
      const from = await connection.position();
      const detail = await deps().sessions.get(id);
      if (gen !== generation) return;
      const running = detail.turns.filter((t) => t.status === 'inProgress').map((t) => t.id);
      const t = emptyTranscript();
      loadHistory(t, detail, running);
      let until = from;
      if (running.length > 0) {
        until = Math.max(from, connection.lastSeq ?? from);
        const finished = new Set(detail.turns.filter((x) => x.status !== 'inProgress').map((x) => x.id));
        const replayed = await connection.replay(id, until);
        if (gen !== generation) return;
        for (const e of replayed) if (!e.turnId || !finished.has(e.turnId)) applyEvent(t, e);
      }
      transcript.value = t;
      session.value = detail.session;
      const pending = buffer ?? [];
      buffer = null;
      for (const e of pending) if (running.length === 0 || e.seq > until) apply(e);
      phase.value = 'ready';
    } catch (e) {
      if (gen !== generation) return;
      buffer = null;
      error.value = errorMessage(e);
      phase.value = e instanceof ApiError && (e.status === 404 || e.status === 410) ? 'gone' : 'error';
    }
  }

  function close(): void {
    generation++;
    sessionId.value = null;
    session.value = null;
    transcript.value = emptyTranscript();
    phase.value = 'empty';
    buffer = null;
  }

  async function send(text: string, opts: { plan?: boolean } = {}): Promise<boolean> {
    const id = sessionId.value;
    const body = text.trim();
    if (!id || !body || sending.value) return false;
    sending.value = true;
    sendError.value = null;
    pendingText.value = body;
    try {
      const res = await deps().sessions.send(id, body, { plan: opts.plan }, newKey());
      if (sessionId.value === id) ensureTurn(transcript.value, res.turn.id);
      return true;
    } catch (e) {
      if (sessionId.value === id) {
        sendError.value = errorMessage(e);
        pendingText.value = null;
      }
      return false;
    } finally {
      sending.value = false;
    }
  }

  async function steer(text: string): Promise<boolean> {
    const id = sessionId.value;
    const turn = current.value;
    if (!id || !turn || !text.trim()) return false;
    sendError.value = null;
    try {
      await deps().sessions.steer(id, text.trim(), turn.id);
      return true;
    } catch (e) {
      sendError.value = errorMessage(e);
      return false;
    }
  }

  async function interrupt(): Promise<void> {
    const id = sessionId.value;
    const turn = current.value;
    if (!id || !turn || interrupting.value) return;
    interrupting.value = true;
    sendError.value = null;
    try {
      const res = await deps().sessions.interrupt(id, turn.id);
      if (sessionId.value === id && res.turn?.status && res.turn.status !== 'inProgress') {
        const ct = transcript.value.turns[res.turn.id];
        if (ct && ct.status === 'inProgress') ct.status = res.turn.status;
      }
    } catch (e) {
      sendError.value = errorMessage(e);
    } finally {
      interrupting.value = false;
    }
  }

  connection.subscribe(onEvents);
  connection.onReset(() => {
    if (sessionId.value) void open(sessionId.value);
  });

  return {
    sessionId,
    session,
    transcript,
    phase,
    error,
    sending,
    sendError,
    pendingText,
    interrupting,
    current,
    turns,
    pendingRequests,
    state,
    open,
    close,
    send,
    steer,
    interrupt,
  };
});
