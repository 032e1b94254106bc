package dev.banger.it.archfixture.rooms.alpha;

import dev.banger.it.archfixture.rooms.beta.Beta;

/** Half of a package cycle on purpose (RoomPolicyTest): alpha uses beta, which uses alpha. */
public final class Alpha {
    private Alpha() {
    }

    public static int size() {
        return Beta.twice(1);
    }
}
