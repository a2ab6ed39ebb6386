/** The script a container serves at ZWJSBridge's CDN URL: installs the bridge on load. */
import { install } from "./install.js";

install(globalThis);
