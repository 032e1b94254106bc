package dev.banger.fcstub;

/**
 * A request Firecracker would refuse: the API answers 400 with {@code {"fault_message": message}}.
 * Carries no stack trace: it is an answer, not a failure of the stub.
 */
final class Fault extends Exception {
    static final String AFTER_START = "The requested operation is not supported after starting the microVM.";
    static final String BEFORE_START = "The requested operation is not supported before starting the microVM.";

    Fault(String message) {
        super(message, null, false, false);
    }
}
