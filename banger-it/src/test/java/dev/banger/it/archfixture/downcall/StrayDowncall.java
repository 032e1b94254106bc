package dev.banger.it.archfixture.downcall;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Fixture for AgentDowncallPolicyTest: a class that links a downcall of its own, which the rule must flag. */
public final class StrayDowncall {
    private StrayDowncall() {
    }

    public static MethodHandle getpid() {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find("getpid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
    }
}
