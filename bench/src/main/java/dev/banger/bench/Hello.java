package dev.banger.bench;

/** The baseline: what a bare JVM costs to start, print a line and exit. */
public final class Hello {
    private Hello() {
    }

    public static void main(String[] args) {
        System.out.println("hello");
    }
}
