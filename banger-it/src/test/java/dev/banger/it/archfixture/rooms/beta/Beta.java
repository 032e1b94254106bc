package dev.banger.it.archfixture.rooms.beta;

import dev.banger.it.archfixture.rooms.alpha.Alpha;

/** The other half of the fixture cycle (RoomPolicyTest). */
public final class Beta {
    private Beta() {
    }

    public static int twice(int n) {
        return n > 10 ? Alpha.size() : 2 * n;
    }
}
