package dev.banger.store;

import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;

/** A database failure: the message names what failed; the code is INTERNAL unless a caller maps it. */
public class StoreException extends BangerException {
    public StoreException(String message) {
        super(ErrorCode.INTERNAL, message);
    }

    public StoreException(String message, Throwable cause) {
        super(ErrorCode.INTERNAL, message, cause);
    }
}
