package dev.zhelikit

import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets
import java.nio.file.Files

/**
 * The live mock platform + BFF that `scripts/test` starts for these tests, and the platform
 * steps a real app leaves to the user (picking an account on the 浙里办 login page, the 浙政钉
 * container's getAuthCode).
 */
object LiveStack {
    private fun env(name: String): String =
        System.getenv(name) ?: error("$name is not set: run the Kotlin tests through scripts/test")

    val bffUrl = env("ZK_TEST_BFF_URL")
    val platformUrl = env("ZK_TEST_PLATFORM_URL")
    private val serviceCode = env("ZK_TEST_SERVICE_CODE")
    private val callback = env("ZK_TEST_CALLBACK")
    private val zzdAppKey = env("ZK_TEST_ZZD_APP_KEY")

    private val http: HttpClient = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build()

    private fun form(vararg pairs: Pair<String, String>) =
        pairs.joinToString("&") { (k, v) -> "$k=${URLEncoder.encode(v, StandardCharsets.UTF_8)}" }

    /**
     * The code of demo mini-app `miniApp` under a base code: each mini-app has a registration of
     * its own, and the mock platform and the BFF derive the demo ones from the base the same way.
     */
    private fun codeOf(base: String, miniApp: String) = "$base.$miniApp"

    /** A 浙里办 personal ticket for citizen `userid` issued to `miniApp`, as the login page's redirect carries it. */
    fun citizenTicket(userid: String, miniApp: String = "zk-demo-services"): String = ticket("/sso/login", userid, miniApp)

    /** A 浙里办 legal-person ticket for enterprise `userid` issued to `miniApp`. */
    fun legalPersonTicket(userid: String, miniApp: String = "zk-demo-policy"): String = ticket("/sso/legal/login", userid, miniApp)

    /** The ticket the login page at `page` redirects with once `userid` picked their account. */
    private fun ticket(page: String, userid: String, miniApp: String): String {
        val request = HttpRequest.newBuilder(URI.create("$platformUrl$page"))
            .header("content-type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form("servicecode" to codeOf(serviceCode, miniApp), "goto" to callback, "userid" to userid)))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 302) { "login page $page answered ${response.statusCode()}: ${response.body()}" }
        val location = response.headers().firstValue("location").orElseThrow()
        return Regex("ticket=([A-Za-z0-9-]+)").find(location)?.groupValues?.get(1) ?: error("no ticket in $location")
    }

    /** A demo enterprise: its 浙里办 user id, USCC and the legal person's real-name level. */
    data class DemoEnterprise(val userid: String, val uscc: String, val authLevel: Int) {
        /** The county it is registered in (USCC characters 3–8, GB/T 2260). */
        val county: String get() = uscc.substring(2, 8)
    }

    /** A demo official: account id and 浙政钉 organisation. */
    data class DemoOfficial(val accountId: Long, val organisation: String)

    private fun objects(body: String, marker: String): List<String> =
        Regex("\\{[^{}]*$marker[^{}]*\\}").findAll(body).map { it.value }.toList()

    private fun text(obj: String, name: String): String =
        Regex("\"$name\":\"([^\"]*)\"").find(obj)?.groupValues?.get(1) ?: error("no $name in $obj")

    private fun number(obj: String, name: String): Long =
        Regex("\"$name\":(\\d+)").find(obj)?.groupValues?.get(1)?.toLong() ?: error("no $name in $obj")

    /** The demo enterprises the mock lists. */
    fun enterprises(): List<DemoEnterprise> =
        objects(get("$platformUrl/__admin/demo-accounts"), "\"uscc\"").map {
            DemoEnterprise(text(it, "userid"), text(it, "uscc"), number(it, "authlevel").toInt())
        }

    /** The demo officials the mock lists. */
    fun officials(): List<DemoOfficial> =
        objects(section(get("$platformUrl/__admin/demo-accounts"), "officials"), "\"accountId\"").map {
            DemoOfficial(number(it, "accountId"), text(it, "organisation"))
        }

    /** The array `name` of a JSON object's text (no nesting of arrays within it). */
    private fun section(body: String, name: String): String =
        body.substringAfter("\"$name\":[").substringBefore("]")

    /** A unit 政务督查 dispatches to: its code and name, its leader's and its contact's account ids. */
    data class SupervisedUnit(val code: String, val name: String, val leader: Long, val contact: Long)

    /** The people of a 政务督查 day, as the mock lists them. */
    data class SupervisionPeople(val mayor: Long, val office: Long, val units: List<SupervisedUnit>)

    /** The mock's city leaders, supervision office and the units tasks go to. */
    fun supervisionPeople(): SupervisionPeople {
        val body = get("$platformUrl/__admin/demo-accounts").substringAfter("\"supervision\":")
        val first = { name: String -> Regex("\"accountId\":(\\d+)").find(section(body, name))?.groupValues?.get(1)?.toLong() ?: error("no $name in $body") }
        val unit = Regex("\\{\"code\":\"([^\"]+)\",\"contact\":\\{\"accountId\":(\\d+)[^}]*\\},\"leader\":\\{\"accountId\":(\\d+)[^}]*\\},\"name\":\"([^\"]+)\"\\}")
        val units = unit.findAll(body.substringAfter("\"units\":")).map {
            SupervisedUnit(it.groupValues[1], it.groupValues[4], it.groupValues[3].toLong(), it.groupValues[2].toLong())
        }.toList()
        check(units.isNotEmpty()) { "no units in $body" }
        return SupervisionPeople(first("leaders"), first("office"), units)
    }

    /** What official `accountId` received on the mock 浙政钉 (work notifications and to-dos, JSON). */
    fun zzdReceived(accountId: Long): String = get("$platformUrl/__admin/zzd/received/$accountId")

    /** What the mock FCM accepted for registration token `token`, as its admin API lists it (JSON). */
    fun fcmMessages(token: String): String =
        get("$platformUrl/__admin/fcm/messages?token=${URLEncoder.encode(token, StandardCharsets.UTF_8)}")

    /** The account id of the `index`-th demo official. */
    fun officialAccountId(index: Int): Long {
        val body = get("$platformUrl/__admin/demo-accounts")
        val ids = Regex("\"accountId\":(\\d+)").findAll(body).map { it.groupValues[1].toLong() }.toList()
        return ids[index]
    }

    /** A 浙政钉 免登 auth code for the official with `accountId`, issued to `miniApp`. */
    fun authCode(accountId: Long, miniApp: String = "zk-demo-supervision"): String {
        val request = HttpRequest.newBuilder(URI.create("$platformUrl/zzd/auth/code"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("""{"appkey":"${codeOf(zzdAppKey, miniApp)}","accountId":$accountId}"""))
            .build()
        val body = http.send(request, HttpResponse.BodyHandlers.ofString()).body()
        return Regex("\"code\":\"([^\"]+)\"").find(body)?.groupValues?.get(1) ?: error("no code in $body")
    }

    /** Makes a department of the live mock misbehave (`faultJson` as `PUT /__admin/faults/{department}` takes it). */
    fun setFault(department: String, faultJson: String) {
        val request = HttpRequest.newBuilder(URI.create("$platformUrl/__admin/faults/$department"))
            .header("content-type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(faultJson))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "fault refused: ${response.body()}" }
    }

    /** Makes every department of the live mock healthy again. */
    fun clearFaults() {
        http.send(HttpRequest.newBuilder(URI.create("$platformUrl/__admin/faults")).DELETE().build(), HttpResponse.BodyHandlers.discarding())
    }

    /** How many refresh requests the BFF has answered with 200 (from its Prometheus metrics). */
    fun refreshCount(): Long {
        val metrics = get("$bffUrl/metrics")
        return metrics.lineSequence()
            .filter { it.startsWith("http_request_duration_seconds_count{") && "route=\"/v1/auth/refresh\"" in it && "status=\"200\"" in it }
            .sumOf { it.substringAfterLast(' ').toDouble().toLong() }
    }

    private fun get(url: String): String =
        http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body()

    /** The mock bank's page API (温州银行): `POST` or `GET` at `path`; the JSON body. */
    fun bank(path: String, post: Boolean = true): String {
        val builder = HttpRequest.newBuilder(URI.create("$platformUrl$path"))
        val request = if (post) builder.POST(HttpRequest.BodyPublishers.noBody()).build() else builder.GET().build()
        return http.send(request, HttpResponse.BodyHandlers.ofString()).body()
    }

    /** The department decides correction `reference` (the mock's admin API); the answer's JSON. */
    fun decideCorrection(reference: String, outcome: String, reason: String): String {
        val request = HttpRequest.newBuilder(URI.create("$platformUrl/__admin/corrections/$reference/decision"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("""{"outcome":"$outcome","reason":"$reason"}"""))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == 200) { "decision refused: ${response.body()}" }
        return response.body()
    }

    /** A fresh private directory, as an app's filesDir would be. */
    fun storageDir(): String = Files.createTempDirectory("zk-kotlin-").toString()
}
