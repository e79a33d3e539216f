import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { pageTitle } from './composables/documentTitle';

export const routes: RouteRecordRaw[] = [
  {
    path: '/',
    name: 'home',
    component: () => import('./features/chat/ChatHome.vue'),
    meta: { title: 'Chats' },
  },
  { path: '/chats/:id', name: 'chat', component: () => import('./features/chat/ChatPage.vue'), props: true },
  {
    path: '/inbox',
    name: 'inbox',
    component: () => import('./features/inbox/InboxPage.vue'),
    meta: { title: 'Inbox' },
  },
  {
    path: '/usage',
    name: 'usage',
    component: () => import('./features/usage/UsagePage.vue'),
    meta: { title: 'Usage' },
  },
  {
    path: '/jobs',
    name: 'jobs',
    component: () => import('./features/jobs/JobsPage.vue'),
    meta: { title: 'Jobs' },
  },
  {
    path: '/extensions',
    name: 'extensions',
    component: () => import('./features/extensions/ExtensionsPage.vue'),
    meta: { title: 'Extensions' },
  },
  {
    path: '/health',
    name: 'health',
    component: () => import('./features/health/HealthPage.vue'),
    meta: { title: 'Health' },
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

export function createAppRouter() {
  const router = createRouter({ history: createWebHistory(), routes });
  // The tab's title is composed with the inbox count in `composables/documentTitle.ts`.
  router.afterEach((to) => {
    pageTitle.value = (to.meta.title as string | undefined) ?? null;
  });
  return router;
}
