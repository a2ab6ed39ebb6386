package dev.zhelikit.webview

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import uniffi.zhelikit_sdk.MiniAppBridge

/**
 * Carries a mini-app page's bridge traffic between a WebView and the ZheliKit core, as an
 * Android host does: the page's `@zhelikit/bridge` shim posts each call as a JSON string to
 * `window.ZheliKitNative.postMessage(json)`; the answer (and every event the core pushes) goes
 * back as a call of `window.__zhelikit.receive(json)`. Nothing is decided here — the core
 * answers every call, errors included — this only moves strings and makes each one safe to
 * evaluate as script.
 *
 * On Android:
 * ```kotlin
 * val shuttle = WebViewShuttle(bridge, lifecycleScope) { js ->
 *     webView.post { webView.evaluateJavascript(js, null) }
 * }
 * webView.settings.javaScriptEnabled = true
 * webView.addJavascriptInterface(object {
 *     @JavascriptInterface fun postMessage(json: String) = shuttle.postMessage(json)
 * }, "ZheliKitNative")
 * // and in the BridgeHost given to client.bridge(...):
 * override fun emit(eventJson: String) = shuttle.deliver(eventJson)
 * ```
 * Only add the interface to a WebView that shows the mini-app's own pages: any page loaded in
 * it can call the bridge with the mini-app's permissions.
 *
 * @param bridge the mini-app's bridge (`client.bridge(manifestJson, host)`).
 * @param scope where calls wait for the core (the activity's lifecycle scope: leaving it
 *   cancels the calls still waiting).
 * @param runScript evaluates a script in the page; called from any thread, so post it to the
 *   WebView's thread.
 */
class WebViewShuttle(
    private val bridge: MiniAppBridge,
    private val scope: CoroutineScope,
    private val runScript: (String) -> Unit,
) {
    /** A call from the page (`window.ZheliKitNative.postMessage`): answered when the core is done. */
    fun postMessage(json: String) {
        scope.launch { deliver(bridge.call(json)) }
    }

    /** Hands `json` (an answer or an event) to the page's `window.__zhelikit.receive`. */
    fun deliver(json: String) {
        runScript(receiveScript(json))
    }

    companion object {
        /** The script that gives `json` to the page: `json` as a script string literal. */
        fun receiveScript(json: String): String =
            "window.__zhelikit && window.__zhelikit.receive(${scriptString(json)});"

        /**
         * `text` as a double-quoted script string literal that evaluates back to exactly `text`:
         * quotes, backslashes and control characters escaped, and also U+2028/U+2029 (line ends
         * inside older engines' string literals) and `<` (so `</script>` can never close an
         * inline script the string is put in).
         */
        fun scriptString(text: String): String {
            val out = StringBuilder(text.length + 16).append('"')
            for (c in text) {
                when {
                    c == '"' -> out.append("\\\"")
                    c == '\\' -> out.append("\\\\")
                    c == '\n' -> out.append("\\n")
                    c == '\r' -> out.append("\\r")
                    c == '\t' -> out.append("\\t")
                    c < ' ' || c == '\u2028' || c == '\u2029' || c == '<' || c == '\u007f' ->
                        out.append("\\u").append(String.format("%04x", c.code))
                    else -> out.append(c)
                }
            }
            return out.append('"').toString()
        }
    }
}
