// Trades a Sign in with Apple authorization code for DPoP-bound tokens and reads /userinfo with
// them: DOMAIN CLIENT_ID APPLE_CODE (the packages suite passes the emulator's address).
package app

import com.tokenexchange.NativeSocialExchange
import com.tokenexchange.TokenExchange
import com.tokenexchange.TokenExchangeClient
import com.tokenexchange.TokenExchangeException
import com.tokenexchange.apple
import com.tokenexchange.create
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

fun main(args: Array<String>) = runBlocking {
    if (args.size != 3) {
        System.err.println("usage: app DOMAIN CLIENT_ID APPLE_CODE")
        exitProcess(2)
    }
    val (domain, clientId, code) = args
    // The defaults: the platform's DPoP key (a JCA key on the JVM, the Android Keystore on
    // Android) and HttpURLConnection.
    TokenExchangeClient.create(domain, clientId).use { client ->
        try {
            val tokens = client.nativeSocialExchange(NativeSocialExchange.apple(code, firstName = "Ada"))
            check(tokens.isDpopBound() && tokens.dpopJkt == client.dpopThumbprint()) { "the tokens are not bound to the key" }
            check(client.userinfo(tokens).contains("\"sub\"")) { "userinfo has no sub" }
            println("token-exchange ${TokenExchange.version}: DPoP-bound tokens, userinfo read")
        } catch (e: TokenExchangeException) {
            System.err.println("exchange failed: $e")
            exitProcess(1)
        }
    }
}
