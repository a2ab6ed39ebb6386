package dev.zhelikit

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.SdkException
import uniffi.zhelikit_sdk.ZheliKitClient

/** Passkeys from Kotlin: register, see, rename, log in with, delete (hardening #2). */
class PasskeyTest {
    private fun open(dir: String): ZheliKitClient = ZheliKitClient.open(
        ClientConfig(LiveStack.bffUrl, "zk-demo-services", dir, null, 1u, 5000u),
        AesKeySource(ByteArray(32) { 9 }),
        null,
        null,
    )

    /** The live BFF's relying party: `localhost` on its own port (its default). */
    private val origin = "http://localhost:" + LiveStack.bffUrl.substringAfterLast(':')

    @Test
    fun aUserRegistersRenamesUsesAndDeletesAPasskey(): Unit = runBlocking {
        open(LiveStack.storageDir()).use { client ->
            val identity = client.identity()
            val user = identity.loginWithTicket(LiveStack.citizenTicket("zlb-u-000017"))
            val device = SoftPasskey(origin)
            val registration = identity.beginPasskeyRegistration()
            val credentialId = identity.finishPasskeyRegistration(registration.ceremonyId, device.register(registration.optionsJson), "Kotlin 手机")
            val listed = identity.listPasskeys()
            assertEquals(listOf(credentialId), listed.map { it.credentialId })
            assertEquals("Kotlin 手机", listed.single().name)

            identity.renamePasskey(credentialId, "旧手机")
            assertEquals("旧手机", identity.listPasskeys().single().name)
            assertFailsWith<SdkException.InvalidInput> { identity.renamePasskey(credentialId, "   ") }

            identity.logout()
            val login = identity.beginPasskeyLogin()
            val again = identity.finishPasskeyLogin(login.ceremonyId, device.signIn(login.optionsJson))
            assertEquals(user.userId, again.userId)
            assertNotNull(identity.listPasskeys().single().lastUsedAtMs)

            identity.deletePasskey(credentialId)
            assertTrue(identity.listPasskeys().isEmpty())
            val gone = assertFailsWith<SdkException.InvalidInput> { identity.deletePasskey(credentialId) }
            assertEquals("credential_id", gone.field)
        }
    }

    @Test
    fun logoutEverywhereCanRemoveEveryPasskey(): Unit = runBlocking {
        open(LiveStack.storageDir()).use { client ->
            val identity = client.identity()
            identity.loginWithTicket(LiveStack.citizenTicket("zlb-u-000018"))
            val device = SoftPasskey(origin)
            val registration = identity.beginPasskeyRegistration()
            identity.finishPasskeyRegistration(registration.ceremonyId, device.register(registration.optionsJson))
            identity.logoutEverywhere(removePasskeys = true)
            identity.loginWithTicket(LiveStack.citizenTicket("zlb-u-000018"))
            assertTrue(identity.listPasskeys().isEmpty())
        }
    }
}
