import { createApp } from "vue";
import "vant/lib/index.css";
import "../../shared/page.css";
import App from "./App.vue";

createApp(App).mount("#app");
