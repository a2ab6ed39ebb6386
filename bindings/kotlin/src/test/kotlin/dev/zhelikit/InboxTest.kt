package dev.zhelikit

import java.io.File
import java.util.UUID
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.BridgeHost
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.DevicePlatform
import uniffi.zhelikit_sdk.HostAction
import uniffi.zhelikit_sdk.HostReply
import uniffi.zhelikit_sdk.InboxMessage
import uniffi.zhelikit_sdk.MiniAppBridge
import uniffi.zhelikit_sdk.PolicyGrant
import uniffi.zhelikit_sdk.PushChannel
import uniffi.zhelikit_sdk.SdkException
import uniffi.zhelikit_sdk.ZheliKitClient

/**
 * 惠企政策直通车 from Kotlin, as the enterprise app uses it: register the phone's FCM token,
 * sync the inbox once a policy for the enterprise is published (and FCM was sent the nudge),
 * list it offline, mark it read offline and have the mark reach ZheliKit with the next sync,
 * where another device of the enterprise sees it read. The officials' side is the policy
 * console's bridge calls, made here through the same SDK as the console's page makes them.
 */
class InboxTest {
    /** A host that agrees to every consent, as an official who opened the console would. */
    private class AgreeingHost : BridgeHost {
        override fun perform(action: HostAction): HostReply = when (action) {
            is HostAction.AskConsent, is HostAction.Confirm -> HostReply.Confirmed(true)
            else -> HostReply.Done
        }

        override fun emit(eventJson: String) {}
    }

    private val consoleManifest = File("../../miniapps/samples/policy-console/miniapp.json").readText()

    private fun enterpriseApp(key: Byte, network: SwitchableNetwork): ZheliKitClient = ZheliKitClient.open(
        ClientConfig(LiveStack.bffUrl, "zk-demo-policy", LiveStack.storageDir(), null, 60u, 5000u),
        AesKeySource(ByteArray(32) { key }),
        null,
        network,
    )

    /** The console's bridge on an official's phone, logged in through 浙政钉 免登. */
    private suspend fun console(accountId: Long, key: Byte): Pair<ZheliKitClient, MiniAppBridge> {
        val client = ZheliKitClient.open(
            ClientConfig(LiveStack.bffUrl, "zk-demo-policy-console", LiveStack.storageDir(), null, 60u, 5000u),
            AesKeySource(ByteArray(32) { key }),
            null,
            null,
        )
        client.identity().loginWithAuthCode(LiveStack.authCode(accountId, "zk-demo-policy-console"))
        return client to client.bridge(consoleManifest, AgreeingHost())
    }

    private suspend fun MiniAppBridge.ok(method: String, params: String): String {
        val answer = call("""{"id": 1, "method": "$method", "params": $params}""")
        assertTrue(answer.contains("\"ok\":true"), "$method: $answer")
        return answer
    }

    /** Drafted by one official, approved by a colleague, published: a policy for `county`. */
    private suspend fun publishFor(county: String, title: String): String {
        val officials = LiveStack.officials()
        val drafter = officials.first()
        val colleague = officials.first { it != drafter && it.organisation == drafter.organisation }
        val (d, drafting) = console(drafter.accountId, 21)
        val (c, reviewing) = console(colleague.accountId, 22)
        d.use {
            c.use {
                val draft = """{"title": "$title", "summary": "符合条件的企业可获一次性补助。",
                    "text": "为支持企业上云，特制定本政策。", "benefit": "一次性补助 5 万元",
                    "grant": {"mode": "claim", "link": "/policies/claim"},
                    "valid_from": "2020-01-01", "valid_until": "2099-12-31",
                    "criteria": {"regions": ["$county"]}}"""
                val created = drafting.ok("zhelikit.policy.console.create", """{"draft": $draft}""")
                val id = Regex("\"id\":\"(pol-[0-9a-f]+)\"").find(created)?.groupValues?.get(1) ?: error(created)
                drafting.ok("zhelikit.policy.console.step", """{"policyId": "$id", "step": {"step": "submit"}}""")
                reviewing.ok("zhelikit.policy.console.step", """{"policyId": "$id", "step": {"step": "approve"}}""")
                drafting.ok("zhelikit.policy.console.step", """{"policyId": "$id", "step": {"step": "publish"}}""")
                return id
            }
        }
    }

    /** Syncs until the message of `policyId` arrives (the campaign runs in the background), for at most 20 s. */
    private suspend fun awaitMessage(client: ZheliKitClient, policyId: String): InboxMessage {
        val deadline = System.nanoTime() + 20_000_000_000L
        while (true) {
            client.inbox().sync().messages.firstOrNull { it.policyId == policyId }?.let { return it }
            check(System.nanoTime() < deadline) { "no message of $policyId within 20 s" }
            delay(200)
        }
    }

    @Test
    fun aPublishedPolicyIsPushedSyncedListedOfflineAndReadOnEveryDevice(): Unit = runBlocking {
        val enterprise = LiveStack.enterprises().filter { it.authLevel >= 2 }[2]
        val network = SwitchableNetwork(true)
        enterpriseApp(41, network).use { client ->
            client.identity().loginWithLegalPersonTicket(LiveStack.legalPersonTicket(enterprise.userid))
            val inbox = client.inbox()
            val token = "fcm-kotlin-${UUID.randomUUID()}"
            inbox.registerPushToken(PushChannel.FCM, DevicePlatform.ANDROID, token)
            // APNs serves iOS only: refused before any request, naming the argument.
            val refused = assertFailsWith<SdkException.InvalidInput> {
                inbox.registerPushToken(PushChannel.APNS, DevicePlatform.ANDROID, "abc")
            }
            assertEquals("channel", refused.field)
            // Reading its policies profiles the enterprise (画像) for the campaign to find.
            client.policies().matched()

            val id = publishFor(enterprise.county, "企业上云补助（Kotlin ${UUID.randomUUID().toString().take(6)}）")
            val message = awaitMessage(client, id)
            assertEquals("zk-demo-policy", message.deepLink.miniAppId)
            assertEquals(id, message.deepLink.policyId)
            assertTrue(message.reasons.any { it.condition == "region" && it.met }, message.reasons.toString())
            assertEquals(false, message.read)
            // The nudge went to FCM for this phone's token, through the real protocol to the mock.
            val deadline = System.nanoTime() + 20_000_000_000L
            while (!LiveStack.fcmMessages(token).contains(id)) {
                check(System.nanoTime() < deadline) { "FCM got no push of $id for $token" }
                delay(200)
            }
            val matched = client.policies().matched()
            val policy = matched.policies.first { it.id == id }
            assertEquals(PolicyGrant.Claim("/policies/claim"), policy.grant)
            assertEquals("为支持企业上云，特制定本政策。", policy.text)

            // Offline: the inbox and the policies from the device; a read made here waits.
            network.online = false
            val offline = inbox.sync()
            assertTrue(offline.offline)
            assertTrue(offline.messages.any { it.id == message.id })
            assertTrue(inbox.messages().any { it.id == message.id })
            assertTrue(client.policies().matched().let { it.offline && it.policies.any { p -> p.id == id } })
            assertTrue(inbox.markRead(message.id).read)
            assertEquals(0, inbox.messages().count { it.id == message.id && !it.read })

            // Back online, the next sync tells ZheliKit; the enterprise's other phone sees it read.
            network.online = true
            assertTrue(!inbox.sync().offline)
            enterpriseApp(42, SwitchableNetwork(true)).use { other ->
                other.identity().loginWithLegalPersonTicket(LiveStack.legalPersonTicket(enterprise.userid))
                val there = awaitMessage(other, id)
                assertTrue(there.read, "read on the other device: $there")
                assertEquals(false, there.opened)
                assertTrue(other.inbox().open(there.id).opened)
                // 立即申报 from the message: counted, and the message says so.
                assertTrue(other.inbox().claim(there.id).claimed)
            }
            inbox.unregisterPushToken()
            assertFailsWith<SdkException.InvalidInput> { inbox.markRead("msg-not-on-this-device") }
        }
    }
}
