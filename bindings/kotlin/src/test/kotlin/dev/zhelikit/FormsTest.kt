package dev.zhelikit

import java.io.File
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.FilledField
import uniffi.zhelikit_sdk.OutboxState
import uniffi.zhelikit_sdk.SdkException
import uniffi.zhelikit_sdk.ZheliKitClient

/**
 * 一表通 from Kotlin, as a citizen's app uses it: 新生儿出生一件事 opened once online, then a
 * draft filled and checked offline, finalized offline, and sent when the network is back —
 * once: a copy of the phone's store made while the submission waited (a backup restored, an
 * answer lost) sends it again and gets the same submission back, not a second one.
 * (The live stack's access tokens last 3 s, so every call here also refreshes the session.)
 */
class FormsTest {
    private val key = ByteArray(32) { 52 }

    private fun phone(dir: String, network: SwitchableNetwork): ZheliKitClient = ZheliKitClient.open(
        ClientConfig(LiveStack.bffUrl, "zk-demo-services", dir, null, 60u, 5000u),
        AesKeySource(key),
        null,
        network,
    )

    /** What the parent types, as JSON values by field: the fields 一表通 did not fill. */
    private val typed = mapOf(
        "baby_name" to "\"陈小雨\"", "baby_sex" to "\"2\"", "birth_date" to "\"2026-11-28\"",
        "birth_time" to "\"08:30\"", "birth_weight" to "3200", "hospital" to "\"温州医科大学附属第二医院\"",
        "birth_province" to "\"330000\"", "birth_city" to "\"330300\"", "birth_county" to "\"330302\"",
        "father_known" to "false", "household_parent" to "\"mother\"",
        "card_wanted" to "true", "card_bank" to "\"wzbank\"", "guardian_phone" to "\"13812345678\"",
    )

    /** The typed answers but those `filled`, with `changes` over them, as a JSON object. */
    private fun typedJson(filled: List<FilledField>, changes: Map<String, String> = emptyMap()): String {
        val skip = filled.map { it.field }.toSet()
        return (typed + changes).filterKeys { it !in skip }.entries
            .joinToString(", ", "{", "}") { (k, v) -> "\"$k\": $v" }
    }

    @Test
    fun aDraftMadeOfflineIsFinalizedOfflineAndSubmittedOnceWhenBackOnline(): Unit = runBlocking {
        val dir = LiveStack.storageDir()
        val network = SwitchableNetwork(true)
        val instance = phone(dir, network).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000041"))
            val forms = client.forms()
            val newborn = forms.catalogue().first { it.id == "newborn" }
            assertEquals(listOf("health", "public_security", "human_resources"), newborn.departments)
            forms.open("newborn")
            val filled = forms.prefill("newborn")
            val verified = filled.filled.filter { it.verified }.map { it.field }
            assertTrue(verified.containsAll(listOf("household_address", "mother_id", "mother_name")), "$verified")

            network.online = false
            assertTrue(forms.open("newborn").offline)
            assertTrue(forms.prefill("newborn").offline, "the fill kept on the phone")
            val draft = forms.newDraft("newborn")
            assertEquals(filled.filled, draft.filled, "a draft begun offline starts filled")
            assertTrue(draft.problems.any { it.path == "baby_name" && it.code == "required" }, "${draft.problems}")
            assertTrue(draft.problems.none { it.path == "mother_id" }, "${draft.problems}")
            val short = forms.updateDraft(draft.draftId, typedJson(draft.filled, mapOf("baby_name" to "\"雨\"")))
            assertEquals(listOf("baby_name" to "姓名至少 2 个字"), short.problems.map { it.path to it.message })
            assertFailsWith<SdkException.InvalidInput> { forms.finalize(draft.draftId) }
            assertEquals(emptyList(), forms.updateDraft(draft.draftId, typedJson(draft.filled)).problems)
            val queued = forms.finalize(draft.draftId)
            assertEquals(OutboxState.QUEUED, queued.state)
            assertEquals(queued.instanceId, forms.finalize(draft.draftId).instanceId, "finalized once")
            val offline = forms.sync()
            assertTrue(offline.offline)
            assertEquals(1u, offline.waiting)
            queued.instanceId
        }
        // The store as it is now, with the submission waiting: a second copy of the phone.
        val copy = LiveStack.storageDir()
        File(dir).copyRecursively(File(copy), overwrite = true)

        network.online = true
        val taken = phone(dir, network).use { client ->
            val forms = client.forms()
            val sent = forms.sync()
            assertEquals(1u, sent.sent)
            assertEquals(0u, sent.waiting)
            val outgoing = forms.outbox().single()
            assertEquals(OutboxState.SENT, outgoing.state)
            val submission = outgoing.submission ?: error("no submission")
            assertEquals("新生儿出生一件事", submission.title)
            assertEquals(listOf("卫健", "公安", "人社"), submission.parts.map { it.departmentName })
            assertEquals(1, forms.submissions().count { it.instanceId == instance })
            submission
        }
        // The copy sends it again: ZheliKit answers with the submission it took, once. (Its
        // refresh token was spent by the original, so it logs in afresh: a spent token coming
        // back is taken for a stolen one.)
        phone(copy, network).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000041"))
            val forms = client.forms()
            assertEquals(1u, forms.sync().sent)
            val replayed = forms.outbox().single().submission ?: error("no submission")
            assertEquals(taken.instanceId, replayed.instanceId)
            assertEquals(taken.receivedAt, replayed.receivedAt)
            assertEquals(1, forms.submissions().count { it.instanceId == instance }, "one submission, not two")
        }
    }
}
