package dev.zhelikit

import java.util.Collections
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.BridgeHost
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.HostAction
import uniffi.zhelikit_sdk.HostException
import uniffi.zhelikit_sdk.HostReply
import uniffi.zhelikit_sdk.ZheliKitClient

/**
 * The mini-app bridge from Kotlin, as an Android WebView host drives it: strings in, strings out,
 * events through the host. The host here answers like a user who agrees to everything and
 * records what the page made it do.
 */
class BridgeTest {
    private class RecordingHost : BridgeHost {
        val actions: MutableList<HostAction> = Collections.synchronizedList(mutableListOf())
        val events: MutableList<String> = Collections.synchronizedList(mutableListOf())

        override fun perform(action: HostAction): HostReply {
            actions.add(action)
            return when (action) {
                is HostAction.AskConsent, is HostAction.Confirm -> HostReply.Confirmed(true)
                is HostAction.Scan -> throw HostException.Cancelled()
                else -> HostReply.Done
            }
        }

        override fun emit(eventJson: String) {
            events.add(eventJson)
        }
    }

    private fun manifest(scopes: String) = """
        {"id": "zk-demo-services", "name": "掌上办事", "version": "1.0.0", "platform": "zlb",
         "entry": "index.html", "pages": [{"id": "home", "name": "首页", "path": "index.html"}],
         "scopes": [$scopes], "min_real_name_level": 1, "user_kinds": ["citizen", "legal_person"],
         "min_sdk_version": "0.1.0", "elder_mode": true}
    """.trimIndent()

    private fun open(): ZheliKitClient = ZheliKitClient.open(
        ClientConfig(LiveStack.bffUrl, "zk-demo-services", LiveStack.storageDir(), null, 60u, 5000u),
        AesKeySource(ByteArray(32) { 5 }),
        null,
        null,
    )

    private fun field(json: String, name: String): String? =
        Regex("\"$name\"\\s*:\\s*(\"[^\"]*\"|-?\\d+|true|false|null)").find(json)?.groupValues?.get(1)

    @Test
    fun aPageReadsTheUserAfterConsentAndGetsPlatformCodesForRefusals(): Unit = runBlocking {
        open().use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000031"))
            val host = RecordingHost()
            val bridge = client.bridge(manifest("\"profile\""), host)

            val me = bridge.call("""{"id": 1, "method": "zhelikit.getCurrentUser", "params": {}}""")
            assertEquals("true", field(me, "ok"), me)
            assertEquals("\"citizen\"", field(me, "kind"), me)
            assertEquals(1, host.actions.count { it is HostAction.AskConsent })

            val style = bridge.call("""{"id": "s", "method": "getUiStyle"}""")
            assertEquals("\"normal\"", field(style, "uiStyle"), style)
            bridge.setElderMode(true)
            assertEquals("\"elder\"", field(bridge.call("""{"id": 2, "method": "getUiStyle"}"""), "uiStyle"))
            assertTrue(host.events.any { it.contains("uiStyleChanged") && it.contains("elder") }, host.events.toString())

            val scan = bridge.call("""{"id": 3, "method": "scan"}""")
            assertEquals("-1", field(scan, "code"), scan)
            val unknown = bridge.call("""{"id": 4, "method": "pay", "params": {}}""")
            assertEquals("1001", field(unknown, "code"), unknown)
            assertEquals("\"unknown_method\"", field(unknown, "zkCode"), unknown)
            val garbage = bridge.call("not json")
            assertEquals("\"invalid_request\"", field(garbage, "zkCode"), garbage)
        }
    }

    @Test
    fun aMethodWhoseScopeTheManifestLacksIsRefusedWith1002(): Unit = runBlocking {
        open().use { client ->
            val bridge = client.bridge(manifest(""), RecordingHost())
            val answer = bridge.call("""{"id": 1, "method": "zhelikit.getHomeScreen"}""")
            assertEquals("1002", field(answer, "code"), answer)
            assertEquals(false, bridge.canIUse("zhelikit.getHomeScreen"))
            assertEquals(true, bridge.canIUse("getUiStyle"))
            assertTrue(bridge.capabilitiesJson().contains("\"version\":\"1.0.0\""))
        }
    }

    @Test
    fun zwLogEventsFromThePageAreQueuedAndSentWhenTheHostFlushes(): Unit = runBlocking {
        open().use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000032"))
            val bridge = client.bridge(manifest(""), RecordingHost())
            val pv = bridge.call(
                """{"id": 1, "method": "monitorTrace", "params": {"type": "PV", "pageId": "home",
                   "params": {"t0": 1000, "t2": 1200, "log_status": "01", "phone": "13812345678"}}}""",
            )
            assertEquals("true", field(pv, "ok"), pv)
            val bad = bridge.call("""{"id": 2, "method": "monitorTrace", "params": {"type": "CLICK"}}""")
            assertEquals("\"invalid_params\"", field(bad, "zkCode"), bad)

            val analytics = client.analytics()
            assertEquals(1uL, analytics.pending())
            // What an Android host does in onPause: send what waits.
            val report = analytics.flush()
            assertEquals(1uL, report.counted)
            assertEquals(0uL, report.pending)
            assertEquals(0uL, analytics.pending())
        }
    }
}
