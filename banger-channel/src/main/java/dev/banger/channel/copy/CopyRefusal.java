package dev.banger.channel.copy;

import java.io.IOException;

/**
 * A copy refused for a reason its user can act on: a malformed or hostile archive, a destination it may not
 * write, a source it cannot copy. The message is written for people and names the path concerned.
 */
public class CopyRefusal extends IOException {
    public CopyRefusal(String message) {
        super(message);
    }
}
