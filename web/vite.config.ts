import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// `npm run dev -w @codex-manager/web` serves the app with hot reload and proxies the API and the
// socket.io stream to a running gateway (CM_URL, default the gateway's default address).
const gateway = process.env.CM_URL ?? 'http://127.0.0.1:8787';

export default defineConfig({
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': { target: gateway, ws: true, changeOrigin: false } } },
});
