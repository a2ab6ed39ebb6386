import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// Served by the simulator (and a container) under /apps/supervision/: relative asset paths.
export default defineConfig({
  base: "./",
  plugins: [vue()],
  // The chart library is a chunk of its own, loaded on the first chart.
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 600 },
});
