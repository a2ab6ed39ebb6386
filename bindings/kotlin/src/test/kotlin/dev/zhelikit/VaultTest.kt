package dev.zhelikit

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.CertificateState
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.SdkException
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
}
