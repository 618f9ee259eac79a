import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const runtime = process.env.TRIBUTARY_URL ?? 'http://127.0.0.1:4300';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': runtime,
      '/socket.io': { target: runtime, ws: true },
    },
  },
});
