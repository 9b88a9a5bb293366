// Trades a Sign in with Apple authorization code for DPoP-bound tokens and reads /userinfo with
// them, from Java: DOMAIN CLIENT_ID APPLE_CODE (the packages suite passes the emulator's address).
package app;

import com.tokenexchange.TokenExchangeException;
import com.tokenexchange.TokenExchangeFutures;
import com.tokenexchange.TokenSet;
import java.util.concurrent.ExecutionException;

public final class Main {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: app DOMAIN CLIENT_ID APPLE_CODE");
            System.exit(2);
        }
        try (TokenExchangeFutures client = TokenExchangeFutures.create(args[0], args[1])) {
            TokenSet tokens = client.nativeSocialExchange(TokenExchangeFutures.apple(args[2])).get();
            if (!tokens.isDpopBound() || !tokens.getDpopJkt().equals(client.getClient().dpopThumbprint())) {
                throw new IllegalStateException("the tokens are not bound to the key");
            }
            String claims = client.userinfo(tokens).get();
            if (!claims.contains("\"sub\"")) {
                throw new IllegalStateException("userinfo has no sub");
            }
            System.out.println("token-exchange from Java: DPoP-bound tokens, userinfo read");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TokenExchangeException error) {
                System.err.println("exchange failed: " + error + (error.isRetryable() ? " (retryable)" : ""));
                System.exit(1);
            }
            throw e;
        }
    }
}
