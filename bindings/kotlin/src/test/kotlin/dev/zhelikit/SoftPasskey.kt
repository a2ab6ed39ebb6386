package dev.zhelikit

import java.io.ByteArrayOutputStream
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.MessageDigest
import java.security.SecureRandom
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.Base64

/**
 * A platform authenticator in software, as Android's Credential Manager would answer: ES256
 * (P-256) keys, `none` attestation, user verified. It takes the options JSON the SDK hands out
 * and returns the response JSON the SDK's `finish…` calls take.
 */
class SoftPasskey(private val origin: String) {
    private val random = SecureRandom()
    private var credentialId = ByteArray(0)
    private var keys: KeyPair? = null
    private var counter = 0

    private fun b64(bytes: ByteArray): String = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
    private fun sha256(bytes: ByteArray): ByteArray = MessageDigest.getInstance("SHA-256").digest(bytes)
    private fun field(json: String, name: String): String =
        Regex("\"$name\"\\s*:\\s*\"([^\"]+)\"").find(json)?.groupValues?.get(1) ?: error("no $name in $json")

    private fun clientData(type: String, challenge: String): ByteArray =
        """{"type":"$type","challenge":"$challenge","origin":"$origin","crossOrigin":false}""".toByteArray()

    /** CBOR header of `major` type with `length`. */
    private fun ByteArrayOutputStream.head(major: Int, length: Int) {
        val m = major shl 5
        when {
            length < 24 -> write(m or length)
            length < 256 -> { write(m or 24); write(length) }
            else -> { write(m or 25); write(length shr 8); write(length and 0xff) }
        }
    }

    private fun ByteArrayOutputStream.text(s: String) { val b = s.toByteArray(); head(3, b.size); write(b) }
    private fun ByteArrayOutputStream.bytes(b: ByteArray) { head(2, b.size); write(b) }

    private fun unsigned32(n: java.math.BigInteger): ByteArray {
        val raw = n.toByteArray()
        return ByteArray(32).also { out -> raw.takeLast(32).toByteArray().let { it.copyInto(out, 32 - it.size) } }
    }

    private fun coseKey(key: ECPublicKey): ByteArray = ByteArrayOutputStream().apply {
        write(0xa5)
        write(0x01); write(0x02) // kty: EC2
        write(0x03); write(0x26) // alg: -7 (ES256)
        write(0x20); write(0x01) // crv: P-256
        write(0x21); bytes(unsigned32(key.w.affineX))
        write(0x22); bytes(unsigned32(key.w.affineY))
    }.toByteArray()

    /** Answers a registration challenge (`optionsJson`) with a new credential. */
    fun register(optionsJson: String): String {
        val rpId = Regex("\"rp\"\\s*:\\s*\\{[^}]*\"id\"\\s*:\\s*\"([^\"]+)\"").find(optionsJson)?.groupValues?.get(1)
            ?: error("no rp.id in $optionsJson")
        val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
        keys = pair
        credentialId = ByteArray(32).also { random.nextBytes(it) }
        val authData = ByteArrayOutputStream().apply {
            write(sha256(rpId.toByteArray()))
            write(0x45) // user present, user verified, attested credential data
            write(byteArrayOf(0, 0, 0, 0))
            write(ByteArray(16)) // AAGUID
            write(credentialId.size shr 8); write(credentialId.size and 0xff)
            write(credentialId)
            write(coseKey(pair.public as ECPublicKey))
        }.toByteArray()
        val attestation = ByteArrayOutputStream().apply {
            write(0xa3)
            text("fmt"); text("none")
            text("attStmt"); write(0xa0)
            text("authData"); bytes(authData)
        }.toByteArray()
        val data = clientData("webauthn.create", field(optionsJson, "challenge"))
        val id = b64(credentialId)
        return """{"id":"$id","rawId":"$id","type":"public-key","response":{"clientDataJSON":"${b64(data)}","attestationObject":"${b64(attestation)}"},"clientExtensionResults":{}}"""
    }

    /** Answers a login challenge (`optionsJson`) with the credential registered before. */
    fun signIn(optionsJson: String): String {
        val pair = keys ?: error("no credential registered")
        val rpId = field(optionsJson, "rpId")
        counter += 1
        val authData = ByteArrayOutputStream().apply {
            write(sha256(rpId.toByteArray()))
            write(0x05) // user present, user verified
            write(byteArrayOf((counter shr 24).toByte(), (counter shr 16).toByte(), (counter shr 8).toByte(), counter.toByte()))
        }.toByteArray()
        val data = clientData("webauthn.get", field(optionsJson, "challenge"))
        val signature = Signature.getInstance("SHA256withECDSA").apply {
            initSign(pair.private)
            update(authData + sha256(data))
        }.sign()
        val id = b64(credentialId)
        return """{"id":"$id","rawId":"$id","type":"public-key","response":{"clientDataJSON":"${b64(data)}","authenticatorData":"${b64(authData)}","signature":"${b64(signature)}"},"clientExtensionResults":{}}"""
    }
}
