package dsp.core.port;

import java.util.Set;

/** Who sent a change, as authentication established it: a name and the groups it belongs to (what authorization looks at). */
public record Caller(String name, Set<String> groups) {

    public Caller {
        groups = Set.copyOf(groups);
    }
}
