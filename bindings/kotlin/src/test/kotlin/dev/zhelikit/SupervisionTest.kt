package dev.zhelikit

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.LocalDate
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import uniffi.zhelikit_sdk.ClientConfig
import uniffi.zhelikit_sdk.IndicatorInput
import uniffi.zhelikit_sdk.ItemInput
import uniffi.zhelikit_sdk.ReportInput
import uniffi.zhelikit_sdk.ReportedValue
import uniffi.zhelikit_sdk.SdkException
import uniffi.zhelikit_sdk.TargetInput
import uniffi.zhelikit_sdk.TaskInput
import uniffi.zhelikit_sdk.ZheliKitClient

/**
 * 政务督查 from Kotlin, as an official's app on 浙政钉 calls it: the mayor opens an item, the office
 * dispatches it, a unit's contact reports and its leader approves, the office urges another unit
 * (whose contact then has a work notification and a to-do on the mock 浙政钉), and the figures
 * and their report agree. A citizen's session is refused.
 */
class SupervisionTest {
    private val app = "zk-demo-supervision"

    private fun open(miniApp: String = app): ZheliKitClient = ZheliKitClient.open(
        ClientConfig(LiveStack.bffUrl, miniApp, LiveStack.storageDir(), null, 60u, 5000u),
        AesKeySource(ByteArray(32) { 9 }),
        null,
        null,
    )

    private suspend fun official(accountId: Long): ZheliKitClient =
        open().also { it.identity().loginWithAuthCode(LiveStack.authCode(accountId)) }

    /** Today as the BFF counts it (the calendar clock a development deployment may move). */
    private fun today(): LocalDate {
        val body = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("${LiveStack.bffUrl}/v1/dev/clock")).GET().build(),
            HttpResponse.BodyHandlers.ofString(),
        ).body()
        return LocalDate.parse(Regex("\"today\":\"([^\"]+)\"").find(body)?.groupValues?.get(1) ?: error(body))
    }

    @Test
    fun anOfficialsDayFromTheItemToTheFigures(): Unit = runBlocking {
        val people = LiveStack.supervisionPeople()
        val (a, b) = people.units[0] to people.units[1]
        val today = today()
        val mayor = official(people.mayor)
        val office = official(people.office)
        val contactA = official(a.contact)
        val leaderA = official(a.leader)
        try {
            assertEquals("city_leader", mayor.supervision().profile().role)
            val mayorCode = assertNotNull(mayor.identity().currentUser().official).employeeCode
            val item = mayor.supervision().createItem(
                ItemInput(
                    title = "推进重大项目建设（Kotlin）",
                    sourceKind = "instruction",
                    source = "市长批示",
                    description = "年底前完成",
                    owner = mayorCode,
                    due = today.plusDays(30).toString(),
                    priority = "urgent",
                    indicators = listOf(IndicatorInput("investment", "投资完成额", "亿元", false, "5")),
                ),
            )
            assertEquals("urgent", item.priority)

            val office_ = office.supervision()
            assertEquals("督查室", office_.profile().roleName)
            val tasks = office_.dispatch(
                item.id,
                null,
                listOf(
                    TaskInput(a.code, "完成投资", today.plusDays(20).toString(), listOf(TargetInput("investment", "3"))),
                    TaskInput(b.code, "完成投资", today.plusDays(20).toString(), listOf(TargetInput("investment", "2"))),
                ),
            )
            assertEquals(2, tasks.size)
            val taskA = tasks.first { it.unit == a.code }
            val taskB = tasks.first { it.unit == b.code }

            // A's contact finds the task among theirs and reports; a value in another unit is refused.
            val mine = contactA.supervision().myTasks()
            assertTrue(mine.any { it.id == taskA.id && "report" in it.may }, mine.toString())
            // (The BFF's invalid_field arrives as InvalidInput naming the field.)
            val wrongUnit = assertFailsWith<SdkException.InvalidInput> {
                contactA.supervision().report(taskA.id, ReportInput("已完成一半", listOf(ReportedValue("investment", "15000", "万元")), false))
            }
            assertEquals("values", wrongUnit.field)
            assertTrue("单位应为亿元" in wrongUnit.reason, wrongUnit.reason)
            val notANumber = assertFailsWith<SdkException.InvalidInput> {
                contactA.supervision().report(taskA.id, ReportInput("进展", listOf(ReportedValue("investment", "1.5亿", "亿元")), false))
            }
            assertEquals("values", notANumber.field)
            val report = contactA.supervision().report(taskA.id, ReportInput("已完成一半", listOf(ReportedValue("investment", "1.5", "亿元")), false))
            assertEquals("pending", report.status)

            // Its leader approves; the value counts on the item.
            val decided = leaderA.supervision().decide(report.id, true, null)
            assertEquals("approved", decided.status)
            val seen = mayor.supervision().item(item.id)
            assertEquals("1.5", seen.indicators.single().value)
            assertEquals(300u, seen.indicators.single().completionPermille)
            assertTrue(seen.events.any { it.action == "approve" }, seen.events.toString())

            // The office urges B: B's contact gets a work notification and a to-do on 浙政钉.
            val notice = office_.urge(taskB.id, "请尽快报送")
            assertEquals("urge", notice.nudge)
            var received = ""
            for (i in 1..100) {
                received = LiveStack.zzdReceived(b.contact)
                if ("督查催办" in received && "催办：" in received) break
                delay(100)
            }
            assertTrue("督查催办" in received && "催办：推进重大项目建设（Kotlin）" in received, received)

            // The figures, and the report made from the same figures.
            val figures = office_.figures()
            val rowA = figures.units.first { it.unit == a.code }
            assertTrue(rowA.tasks >= 1u && rowA.progressPermille > 0u, rowA.toString())
            val workbook = office_.exportReport()
            assertEquals('P'.code.toByte(), workbook[0])
            assertEquals('K'.code.toByte(), workbook[1])

            // A unit's contact may not see the figures.
            val refused = assertFailsWith<SdkException.Server> { contactA.supervision().figures() }
            assertEquals("supervision_forbidden", refused.code)
        } finally {
            listOf(mayor, office, contactA, leaderA).forEach { it.close() }
        }
    }

    @Test
    fun aCitizensSessionIsRefused(): Unit = runBlocking {
        open("zk-demo-services").use { client ->
            client.identity().loginWithTicket(LiveStack.citizenTicket("zlb-u-000041"))
            assertFailsWith<SdkException.ForbiddenScope> { client.supervision().profile() }
        }
    }
}
