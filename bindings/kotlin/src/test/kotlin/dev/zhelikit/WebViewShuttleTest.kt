package dev.zhelikit

import dev.zhelikit.webview.WebViewShuttle
import java.io.File
import java.util.Collections
import java.util.concurrent.TimeUnit
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import uniffi.zhelikit_sdk.BridgeHost
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.HostAction
import uniffi.zhelikit_sdk.HostReply
import uniffi.zhelikit_sdk.ZheliKitClient

/**
 * The WebView host glue as an Android app wires it, with the WebView replaced by what it does
 * with the scripts: they are collected and run in node against a page stub that records what
 * `window.__zhelikit.receive` is given, so what reaches the page is checked as the page sees it.
 */
class WebViewShuttleTest {
    private val scripts: MutableList<String> = Collections.synchronizedList(mutableListOf())

    private inner class ShuttlingHost : BridgeHost {
        lateinit var shuttle: WebViewShuttle
        override fun perform(action: HostAction): HostReply = HostReply.Done
        override fun emit(eventJson: String) = shuttle.deliver(eventJson)
    }

    private fun manifest() = """
        {"id": "zk-demo-services", "name": "掌上办事", "version": "1.0.0", "platform": "zlb",
         "entry": "index.html", "pages": [{"id": "home", "name": "首页", "path": "index.html"}],
         "scopes": [], "min_real_name_level": 1, "user_kinds": ["citizen"],
         "min_sdk_version": "0.1.0", "elder_mode": true}
    """.trimIndent()

    private fun awaitScripts(n: Int) {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
        while (scripts.size < n) {
            assertTrue(System.nanoTime() < deadline, "only ${scripts.size} of $n scripts: $scripts")
            Thread.sleep(10)
        }
    }

    /** Runs the scripts in node on a page stub; returns what `receive` got, one JSON per line. */
    private fun runInPage(probe: String): List<String> {
        val file = File.createTempFile("zk-webview-", ".js")
        file.writeText(
            "const got = [];\nconst window = { __zhelikit: { receive: (json) => got.push(JSON.parse(json)) } };\n" +
                scripts.joinToString("\n") + "\n" + probe + "\n",
        )
        val node = ProcessBuilder("node", file.path).redirectErrorStream(true).start()
        val output = node.inputStream.bufferedReader().readText()
        assertTrue(node.waitFor(30, TimeUnit.SECONDS), "node did not finish")
        assertEquals(0, node.exitValue(), output)
        file.delete()
        return output.lines().filter { it.isNotBlank() }
    }

    @Test
    fun aPageCallReachesTheCoreAndItsAnswerAndEventsReachThePageIntact() {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        ZheliKitClient.open(
            ClientConfig(LiveStack.bffUrl, "zk-demo-services", LiveStack.storageDir(), null, 60u, 5000u),
            AesKeySource(ByteArray(32) { 6 }),
            null,
            null,
        ).use { client ->
            val host = ShuttlingHost()
            val bridge = client.bridge(manifest(), host)
            val shuttle = WebViewShuttle(bridge, scope) { js -> scripts.add(js) }
            host.shuttle = shuttle

            // A value no naive quoting survives: a line separator, a closing script tag, quotes.
            val tricky = "甲\u2028乙</script>\"\\'\n"
            val trickyJson = WebViewShuttle.scriptString(tricky)
            shuttle.postMessage("""{"id": 1, "method": "setLocalStorage", "params": {"key": "k", "value": $trickyJson}}""")
            awaitScripts(1)
            shuttle.postMessage("""{"id": 2, "method": "getLocalStorage", "params": {"key": "k"}}""")
            awaitScripts(2)
            bridge.setElderMode(true)
            awaitScripts(3)
            shuttle.postMessage("not json")
            awaitScripts(4)

            val seen = runInPage(
                """
                const byId = Object.fromEntries(got.filter((m) => "id" in m).map((m) => [m.id, m]));
                console.log(byId[1].ok);
                console.log(byId[2].result.result === $trickyJson);
                console.log(got.find((m) => m.event === "uiStyleChanged").data.uiStyle);
                console.log(got.find((m) => m.id === null).error.zkCode);
                """.trimIndent(),
            )
            assertEquals(listOf("true", "true", "elder", "invalid_request"), seen, scripts.toString())
            assertTrue(scripts.none { it.contains("</script>") }, "no script carries a closing tag")
        }
        scope.cancel()
    }

    @Test
    fun everyCharacterSurvivesTheScriptString() {
        val all = (0..0x3000).map { it.toChar() }.filter { !it.isSurrogate() }.joinToString("") + "\uD83D\uDE00"
        scripts.add("window.__zhelikit.receive(JSON.stringify({s: ${WebViewShuttle.scriptString(all)}}));")
        val expected = WebViewShuttle.scriptString(all)
        val seen = runInPage("console.log(got[0].s === $expected && got[0].s.length === ${all.length});")
        assertEquals(listOf("true"), seen)
    }
}
