import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

// Served by the simulator (and a container) under /apps/forms/: relative asset paths.
export default defineConfig({
  base: "./",
  plugins: [vue()],
  build: { outDir: "dist", emptyOutDir: true },
});
