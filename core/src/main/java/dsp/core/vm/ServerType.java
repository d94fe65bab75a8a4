package dsp.core.vm;

import java.util.List;

/** A machine size preset (Hetzner-style): it fixes cpu and memory and gives the default disk. */
public record ServerType(String name, int cpu, int memoryGb, int diskGb) {

    /** The presets the guide's {@code server_type} names come from. */
    public static final List<ServerType> HETZNER = List.of(
            new ServerType("cx11", 1, 2, 20),
            new ServerType("cx21", 2, 4, 40),
            new ServerType("cx31", 2, 8, 80),
            new ServerType("cx41", 4, 16, 160),
            new ServerType("cx51", 8, 32, 240),
            new ServerType("cpx11", 2, 2, 40),
            new ServerType("cpx21", 3, 4, 80),
            new ServerType("cpx31", 4, 8, 160),
            new ServerType("cpx41", 8, 16, 240),
            new ServerType("cpx51", 16, 32, 360),
            new ServerType("cx22", 2, 4, 40),
            new ServerType("cx32", 4, 8, 80),
            new ServerType("cx42", 8, 16, 160),
            new ServerType("cx52", 16, 32, 320));
}
