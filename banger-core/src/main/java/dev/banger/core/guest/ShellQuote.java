package dev.banger.core.guest;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Quotes an argv for the remote shell ssh runs it in: ssh joins its arguments with spaces and hands
 * the string to the guest's shell, so each argument is single-quoted to arrive exactly as given.
 */
public final class ShellQuote {
    private ShellQuote() {
    }

    public static String join(List<String> argv) {
        return argv.stream().map(ShellQuote::quote).collect(Collectors.joining(" "));
    }

    static String quote(String arg) {
        if (!arg.isEmpty() && arg.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || "/._-=:,+@%".indexOf(c) >= 0)) {
            return arg;
        }
        return "'" + arg.replace("'", "'\\''") + "'";
    }
}
