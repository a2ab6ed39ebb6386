package dev.zhelikit

import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.KeySource
import uniffi.zhelikit_sdk.LogLevel
import uniffi.zhelikit_sdk.Logger
import uniffi.zhelikit_sdk.SdkException
import uniffi.zhelikit_sdk.SessionState
import uniffi.zhelikit_sdk.StorageFailure
import uniffi.zhelikit_sdk.UserKind
import uniffi.zhelikit_sdk.ZheliKitClient

/** The SDK as an Android app uses it: the real library through JNA, a live BFF. */
class IdentityTest {
    private fun open(
        dir: String,
        miniApp: String = "zk-demo-services",
        keys: KeySource = AesKeySource(FIXED_KEY),
        logger: Logger? = null,
        refreshMarginSecs: UInt = 1u,
    ): ZheliKitClient = ZheliKitClient.open(
        ClientConfig(
            bffUrl = LiveStack.bffUrl,
            miniAppId = miniApp,
            storageDir = dir,
            scopes = null,
            refreshMarginSecs = refreshMarginSecs,
            requestTimeoutMs = 5000u,
        ),
        keys,
        logger,
        null,
    )

    @Test
    fun aCitizenLogsInWithATicketAndReadsAMaskedProfile(): Unit = runBlocking {
        open(LiveStack.storageDir()).use { client ->
            val user = client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000001"))
            assertEquals(UserKind.CITIZEN, user.kind)
            assertEquals(3.toUByte(), user.realNameLevel)
            val masked = assertNotNull(user.idNumberMasked)
            assertTrue(Regex("^3303\\d{2}\\*{8}\\d{3}[\\dX]$").matches(masked), masked)
            assertEquals(user.userId, client.identity().currentUser().userId)
        }
    }

    @Test
    fun anOfficialLogsInWithAnAuthCode(): Unit = runBlocking {
        open(LiveStack.storageDir(), miniApp = "zk-demo-supervision").use { client ->
            val user = client.identity().loginWithAuthCode(LiveStack.authCode(LiveStack.officialAccountId(2)))
            assertEquals(UserKind.OFFICIAL, user.kind)
            assertNotNull(user.official).also { assertTrue(it.organisationName.isNotEmpty()) }
        }
    }

    @Test
    fun theSessionSurvivesClosingAndReopeningTheClient(): Unit = runBlocking {
        val dir = LiveStack.storageDir()
        val userId = open(dir).use { it.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000004")).userId }
        open(dir).use { reopened ->
            assertTrue(reopened.identity().isLoggedIn())
            assertEquals(userId, reopened.identity().cachedUser()?.userId)
            assertEquals(userId, reopened.identity().currentUser().userId)
        }
        // Another keystore key cannot read the store: a typed storage error, not a silent logout.
        val error = assertFailsWith<SdkException.Storage> { open(dir, keys = AesKeySource()) }
        assertEquals(StorageFailure.WRONG_KEY, error.failure)
    }

    @Test
    fun fiftyConcurrentCallsOnAnExpiringTokenMakeOneRefresh(): Unit = runBlocking {
        // The live BFF issues three-second access tokens: let this one expire.
        open(LiveStack.storageDir(), refreshMarginSecs = 0u).use { client ->
            val identity = client.identity()
            val userId = identity.loginWithTicket(LiveStack.citizenTicket("zlb-u-000005")).userId
            delay(3_200)
            val before = LiveStack.refreshCount()
            val users = (1..50).map { async(Dispatchers.Default) { identity.currentUser() } }.awaitAll()
            assertTrue(users.all { it.userId == userId })
            assertEquals(1L, LiveStack.refreshCount() - before, "exactly one refresh reached the BFF")
        }
    }

    @Test
    fun aForgedTicketIsATypedException(): Unit = runBlocking {
        open(LiveStack.storageDir()).use { client ->
            val error = assertFailsWith<SdkException.LoginRejected> {
                client.identity().loginWithTicket("ST-" + "d".repeat(32))
            }
            assertEquals("ticket_invalid", error.code)
            assertFalse(client.identity().isLoggedIn())
            assertFailsWith<SdkException.NotLoggedIn> { client.identity().currentUser() }
        }
    }

    @Test
    fun aRevokedSessionIsATypedExceptionAndTheListenerIsTold(): Unit = runBlocking {
        val listener = RecordingListener()
        open(LiveStack.storageDir()).use { phone ->
            phone.identity().setSessionListener(listener)
            phone.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000006"))
            open(LiveStack.storageDir()).use { tablet ->
                tablet.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000006"))
                tablet.identity().logoutEverywhere()
            }
            assertFailsWith<SdkException.SessionExpired> { phone.identity().currentUser() }
            assertFalse(phone.identity().isLoggedIn())
        }
        assertIs<SessionState.LoggedIn>(listener.states.first())
        assertIs<SessionState.Expired>(listener.states.last())
    }

    @Test
    fun logRecordsReachAKotlinLoggerMasked(): Unit = runBlocking {
        val logger = ListLogger()
        open(LiveStack.storageDir(), logger = logger).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000007"))
            client.identity().logout()
        }
        val messages = logger.records.map { it.message }
        assertTrue(messages.any { it.startsWith("logged in as user") }, messages.toString())
        assertTrue(logger.records.any { it.level == LogLevel.INFO && it.target == "zhelikit::session" })
        assertTrue(messages.none { "eyJ" in it || "zkr_" in it }, messages.toString())
    }

    private companion object {
        val FIXED_KEY = ByteArray(32) { it.toByte() }
    }
}
