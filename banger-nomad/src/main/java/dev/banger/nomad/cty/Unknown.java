package dev.banger.nomad.cty;

/**
 * A cty value not known yet, in place of a decoded value. Nomad evaluates a job's config before it sends it, so a
 * config never holds one; the codec reads and writes it because go-cty does, and {@link TaskConfig} refuses it.
 */
public enum Unknown {
    VALUE;

    @Override
    public String toString() {
        return "(unknown)";
    }
}
