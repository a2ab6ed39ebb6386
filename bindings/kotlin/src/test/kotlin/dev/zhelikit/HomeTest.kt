package dev.zhelikit

import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.NetworkMonitor
import uniffi.zhelikit_sdk.SectionRecord
import uniffi.zhelikit_sdk.SdkException
import uniffi.zhelikit_sdk.SectionStatus
import uniffi.zhelikit_sdk.UserKind
import uniffi.zhelikit_sdk.ZheliKitClient

/** The home screen from Kotlin: online, with a department down, and offline. */
class HomeTest {
    private fun open(dir: String, network: NetworkMonitor? = null): ZheliKitClient = ZheliKitClient.open(
        ClientConfig(LiveStack.bffUrl, "zk-demo-services", dir, null, 1u, 5000u),
        AesKeySource(ByteArray(32) { 7 }),
        null,
        network,
    )

    @AfterTest
    fun healthyDepartments() = LiveStack.clearFaults()

    @Test
    fun homeOnlineHasFiveFreshSections(): Unit = runBlocking {
        open(LiveStack.storageDir()).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000011"))
            val home = client.screens().home()
            assertEquals(UserKind.CITIZEN, home.kind)
            assertFalse(home.offline)
            assertEquals(
                listOf("household_register", "contributions", "driving_licence", "health_card", "education_record"),
                home.sections.map { it.id },
            )
            assertTrue(home.sections.all { it.status is SectionStatus.Fresh }, home.sections.toString())
            // Typed records, personal numbers masked (the demo mini-app has no vault.read).
            val household = assertIs<SectionRecord.HouseholdRegister>(home.sections.first().record).record
            assertTrue(household.householdNumber.contains('*'), household.toString())
            assertTrue(household.members.isNotEmpty())
            for (section in home.sections) {
                val record = section.record ?: continue
                val typedAsItsId = when (section.id) {
                    "household_register" -> record is SectionRecord.HouseholdRegister
                    "contributions" -> record is SectionRecord.Contributions
                    "driving_licence" -> record is SectionRecord.DrivingLicence
                    "health_card" -> record is SectionRecord.HealthCard
                    "education_record" -> record is SectionRecord.EducationRecord
                    else -> false
                }
                assertTrue(typedAsItsId, "${section.id}: $record")
            }
        }
    }

    @Test
    fun homeWithOneDepartmentDownHasThatSectionUnavailable(): Unit = runBlocking {
        LiveStack.setFault("health", """{"mode": {"status": 503}}""")
        open(LiveStack.storageDir()).use { client ->
            // A citizen whose records the BFF has not cached yet.
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000013"))
            val home = client.screens().home()
            val health = home.sections.single { it.department == "health" }
            val status = assertIs<SectionStatus.Unavailable>(health.status)
            assertTrue(status.reason.isNotEmpty())
            assertTrue(home.sections.filter { it.department != "health" }.all { it.status is SectionStatus.Fresh })
        }
    }

    @Test
    fun homeOfflineIsTheLastScreenMarkedStale(): Unit = runBlocking {
        val dir = LiveStack.storageDir()
        val network = SwitchableNetwork(online = true)
        open(dir, network).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000014"))
            val online = client.screens().home()
            network.online = false
            val offline = client.screens().home()
            assertTrue(offline.offline)
            assertEquals(online.fetchedAtMs, offline.fetchedAtMs)
            assertTrue(offline.sections.all { it.status is SectionStatus.Stale || it.status is SectionStatus.Unavailable })
            assertEquals(online.sections.map { it.record }, offline.sections.map { it.record })
        }
    }

    /** Hardening #8: the next user of a device, offline, never sees the last user's screen. */
    @Test
    fun theNextUserOfADeviceNeverSeesTheLastUsersScreenOffline(): Unit = runBlocking {
        val network = SwitchableNetwork(online = true)
        open(LiveStack.storageDir(), network).use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000015"))
            client.screens().home()
            client.identity().logout()
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000016"))
            network.online = false
            assertFailsWith<SdkException.Offline> { client.screens().home() }
        }
    }
}
