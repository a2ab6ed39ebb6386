package dev.zhelikit

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.CertificateState
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.CodeListener
import uniffi.zhelikit_sdk.DisputeInput
import uniffi.zhelikit_sdk.EvidenceFile
import uniffi.zhelikit_sdk.Presentation
import uniffi.zhelikit_sdk.Reauthenticator
import uniffi.zhelikit_sdk.SdkException
import uniffi.zhelikit_sdk.ShareApproval
import uniffi.zhelikit_sdk.ShareApprover
import uniffi.zhelikit_sdk.ShareDecision
import uniffi.zhelikit_sdk.ShareOutcome
import uniffi.zhelikit_sdk.ZheliKitClient

/**
 * 个人数据宝 from Kotlin, as the vault app uses it: pull a certificate, list it (also offline),
 * and present it with chosen claims, refused for a kind or claim that is not there.
 */
class VaultTest {
    private fun open(network: SwitchableNetwork): ZheliKitClient = ZheliKitClient.open(
        ClientConfig(LiveStack.bffUrl, "zk-demo-vault", LiveStack.storageDir(), null, 60u, 5000u),
        AesKeySource(ByteArray(32) { 8 }),
        null,
        network,
    )

    @Test
    fun aCertificateIsPulledListedOfflineAndPresentedWithOnlyTheChosenClaims(): Unit = runBlocking {
        val network = SwitchableNetwork(true)
        open(network).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000045", "zk-demo-vault"))
            val vault = client.vault()
            assertEquals(9, vault.list().size)

            val id = vault.pull("resident_id")
            assertEquals(CertificateState.Available, id.state)
            assertTrue(id.claims.any { it.name == "id_number_masked" }, id.claims.toString())
            assertTrue(id.claims.none { it.name == "id_number" }, "no raw value in a list")

            network.online = false
            val offline = vault.list().first { it.kind == "resident_id" }
            assertEquals(CertificateState.Available, offline.state)
            val shown = vault.present("resident_id", listOf("age_over_18"), "officer-1", "nonce-1")
            assertEquals(listOf("age_over_18"), shown.disclosed)
            assertTrue(shown.payload.count { it == '~' } == 2, "one disclosure and a key binding")
            assertTrue(!shown.payload.contains("330302"), "the raw number never travels")
        }
    }

    @Test
    fun aPresentationOfAClaimOrKindNotHeldIsRefusedAsInvalidInput(): Unit = runBlocking {
        open(SwitchableNetwork(true)).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000046", "zk-demo-vault"))
            val vault = client.vault()
            vault.pull("resident_id")
            assertFailsWith<SdkException.InvalidInput> {
                vault.present("resident_id", listOf("bank_balance"), "officer-1", "n")
            }
            assertFailsWith<SdkException.InvalidInput> {
                vault.present("passport", null, "officer-1", "n")
            }
            assertFailsWith<SdkException.InvalidInput> {
                vault.present("birth_certificate", null, "officer-1", "n")
            }
        }
    }

    /** A client of the 亮证核验 mini-app, logged in as official `index`. */
    private suspend fun officer(index: Int): ZheliKitClient {
        val client = ZheliKitClient.open(
            ClientConfig(LiveStack.bffUrl, "zk-demo-verifier", LiveStack.storageDir(), null, 60u, 5000u),
            AesKeySource(ByteArray(32) { (10 + index).toByte() }),
            null,
            SwitchableNetwork(true),
        )
        client.identity().loginWithAuthCode(LiveStack.authCode(LiveStack.officialAccountId(index), "zk-demo-verifier"))
        return client
    }

    private class Codes : CodeListener {
        val codes: MutableList<Presentation> = java.util.Collections.synchronizedList(mutableListOf())
        override fun onCode(code: Presentation) {
            codes.add(code)
        }
        override fun onStopped(reason: String) {}
    }

    /** The host's biometric prompt, answering as told and remembering what it was asked. */
    private class Prompt(private val answer: Boolean) : Reauthenticator {
        val reasons: MutableList<String> = mutableListOf()
        override fun reauthenticate(reason: String): Boolean {
            reasons.add(reason)
            return answer
        }
    }

    @Test
    fun aCodeShownOnOnePhoneIsVerifiedOnAnOfficersPhoneOnce(): Unit = runBlocking {
        open(SwitchableNetwork(true)).use { citizen ->
            citizen.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000047", "zk-demo-vault"))
            val vault = citizen.vault()
            vault.pull("resident_id")
            val codes = Codes()
            val shown = vault.showCode("resident_id", null, codes)
            val code = codes.codes.first()
            assertTrue(code.qrText.startsWith("ZKV1:"), code.qrText)
            shown.cancel()

            officer(4).use { officer ->
                val checked = officer.vault().verify(code.qrText)
                assertTrue(checked.accepted, checked.toString())
                assertEquals("证照有效", checked.message)
                assertEquals("resident_id", checked.kind)
                assertTrue(checked.claims.any { it.label == "已满 18 周岁" }, checked.claims.toString())
                val again = officer.vault().verify(code.qrText)
                assertEquals("replayed", again.refusal)
            }

            val no = Prompt(false)
            assertFailsWith<SdkException.Cancelled> { vault.reveal("resident_id", "id_number", no) }
            assertEquals(listOf("查看电子居民身份证的公民身份号码"), no.reasons)
            val number = vault.reveal("resident_id", "id_number", Prompt(true))
            assertEquals(20, number.valueJson?.length, "an 18-digit number in quotes")
        }
    }

    /** The host's share sheet: approves, and remembers what it showed. */
    private class ShareSheet : ShareApprover {
        val shown: MutableList<ShareApproval> = mutableListOf()
        override fun decide(approval: ShareApproval): ShareDecision {
            shown.add(approval)
            return ShareDecision.SHARE
        }
    }

    @Test
    fun aVerifierThatOverAsksIsShownAsSuchAndRefusedThoughThePersonApproves(): Unit = runBlocking {
        open(SwitchableNetwork(true)).use { citizen ->
            citizen.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000048", "zk-demo-vault"))
            val vault = citizen.vault()
            vault.pull("resident_id")
            officer(5).use { officer ->
                // The raw ID number: not what the traffic police are registered to ask for.
                val made = officer.vault().requestShare("resident_id", listOf("age_over_18", "id_number"), "核验身份")
                val sheet = ShareSheet()
                val outcome = vault.answerRequest(made.id, sheet)
                assertEquals(ShareOutcome.RefusedOverAsk(listOf("id_number")), outcome)
                val shown = sheet.shown.single()
                assertEquals("温州市公安局交通警察支队", shown.verifierName)
                assertTrue(shown.claims.single { it.name == "id_number" }.overAsked, shown.toString())
                val status = officer.vault().requestStatus(made.id)
                assertEquals("declined", status.state)
                assertEquals("over_asked", status.declined)

                // Asked for what it may ask: shared and checked.
                val fair = officer.vault().requestShare("resident_id", listOf("age_over_18"), "核验身份")
                val shared = vault.answerRequest(fair.id, sheet)
                assertTrue(shared is ShareOutcome.Shared && shared.verification.accepted, shared.toString())
            }
        }
    }

    @Test
    fun aBanksConsentIsReadApprovedAfterReauthenticationAndARevocationStopsItsFetches(): Unit = runBlocking {
        open(SwitchableNetwork(true)).use { citizen ->
            citizen.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000045", "zk-demo-vault"))
            val vault = citizen.vault()
            vault.pull("resident_id")
            val asked = LiveStack.bank("/bank/api/consent-requests?purpose=account_kyc")
            val id = Regex("\"id\":\"([0-9a-f]{32})\"").find(asked)?.groupValues?.get(1) ?: error(asked)

            val request = vault.consentRequest(id)
            assertEquals("温州银行", request.consumerName)
            assertEquals("开立账户身份核验", request.purpose)
            assertEquals("每月最多 4 次", request.frequency)
            assertTrue(request.items.single().claims.any { it.name == "id_number" }, request.toString())

            val no = Prompt(false)
            assertFailsWith<SdkException.Cancelled> { vault.answerConsent(id, true, no) }
            assertEquals(listOf("同意向温州银行授权（开立账户身份核验）"), no.reasons)
            val given = vault.answerConsent(id, true, Prompt(true))
            assertEquals("ACTIVE", given?.status)

            val fetched = LiveStack.bank("/bank/api/consents/$id/fetch")
            assertTrue(fetched.contains("\"accepted\":true") && fetched.contains("\"fetches\":1"), fetched)
            assertEquals(1u, vault.consents().single { it.id == id }.useCount)

            assertEquals("已撤销", vault.changeConsent(id, "revoke").statusText)
            val refused = LiveStack.bank("/bank/api/consents/$id/fetch")
            assertTrue(refused.contains("consent_revoked"), refused)
            assertFailsWith<SdkException.InvalidInput> { vault.changeConsent(id, "delete") }
        }
    }

    @Test
    fun aDisputedClaimIsCorrectedByItsDepartmentAndTheCorrectedCertificateArrives(): Unit = runBlocking {
        open(SwitchableNetwork(true)).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000046", "zk-demo-vault"))
            val vault = client.vault()
            vault.pull("resident_id")
            val input = DisputeInput(
                "resident_id", "address", "浙江省温州市龙湾区永中街道永宁西路9号", "住址已变更",
                EvidenceFile("居住证明.pdf", "application/pdf", "%PDF-1.4 fixture".toByteArray()),
            )
            // A yes/no claim is not disputed itself: the claim it follows from is.
            assertFailsWith<SdkException.InvalidInput> { vault.dispute(input.copy(claim = "age_over_18")) }
            val filed = vault.dispute(input)
            assertEquals("SUBMITTED", filed.status)
            assertEquals("住址", filed.claimLabel)
            assertEquals(filed.id, vault.dispute(input).id, "the same dispute is one correction")

            LiveStack.decideCorrection(filed.id, "accepted", "已核实")
            val seen = vault.corrections().single { it.id == filed.id }
            assertEquals("REISSUED", seen.status)
            assertEquals("已更正并重新签发", seen.statusText)
            assertTrue(seen.changed, "the person is told")
            assertEquals(CertificateState.Available, vault.list().first { it.kind == "resident_id" }.state)
            assertTrue(vault.history().entries.any { it.event == "corrected" && it.outcome == "reissued" })
        }
    }
}
