package dev.zhelikit

import java.security.SecureRandom
import java.util.Collections
import javax.crypto.Cipher
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import uniffi.zhelikit_sdk.KeySource
import uniffi.zhelikit_sdk.KeySourceException
import uniffi.zhelikit_sdk.LogRecord
import uniffi.zhelikit_sdk.Logger
import uniffi.zhelikit_sdk.NetworkMonitor
import uniffi.zhelikit_sdk.SessionListener
import uniffi.zhelikit_sdk.SessionState

/**
 * Wraps the SDK's data key with AES-GCM under a key of its own, the way an Android app wraps it
 * with a non-exportable Android Keystore key (here the key is in memory).
 */
class AesKeySource(private val keyBytes: ByteArray = ByteArray(32).also { SecureRandom().nextBytes(it) }) : KeySource {
    private val key = SecretKeySpec(keyBytes, "AES")

    override fun wrapKey(key: ByteArray): ByteArray {
        val iv = ByteArray(12).also { SecureRandom().nextBytes(it) }
        val cipher = Cipher.getInstance("AES/GCM/NoPadding").apply { init(Cipher.ENCRYPT_MODE, this@AesKeySource.key, GCMParameterSpec(128, iv)) }
        return iv + cipher.doFinal(key)
    }

    override fun unwrapKey(wrapped: ByteArray): ByteArray {
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped.copyOfRange(0, 12)))
        return try {
            cipher.doFinal(wrapped.copyOfRange(12, wrapped.size))
        } catch (e: javax.crypto.AEADBadTagException) {
            throw KeySourceException.WrongKey("the keystore entry changed")
        }
    }
}

/** Keeps every log record, as a Logcat forwarder would print them. */
class ListLogger : Logger {
    val records: MutableList<LogRecord> = Collections.synchronizedList(mutableListOf())
    override fun log(record: LogRecord) {
        records.add(record)
    }
}

/** Keeps every session state it is told. */
class RecordingListener : SessionListener {
    val states: MutableList<SessionState> = Collections.synchronizedList(mutableListOf())
    override fun onSessionState(state: SessionState) {
        states.add(state)
    }
}

/** A network switch, as a ConnectivityManager callback would flip it. */
class SwitchableNetwork(@Volatile var online: Boolean) : NetworkMonitor {
    override fun isOnline(): Boolean = online
}
