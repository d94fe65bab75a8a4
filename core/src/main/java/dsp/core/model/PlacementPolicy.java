package dsp.core.model;

import dsp.core.DomainException;

/** How a server is chosen among those with room. */
public enum PlacementPolicy {
    /** Spread: the server with the most free budget wins. */
    LEAST_ALLOCATED,
    /** Pack: the server with the least free budget that still fits wins, keeping big holes free. */
    BIN_PACKING;

    public static PlacementPolicy parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase().replace('_', '-');
        return switch (t) {
            case "least-allocated", "spread" -> LEAST_ALLOCATED;
            case "bin-packing", "binpacking", "most-allocated", "pack" -> BIN_PACKING;
            default -> throw DomainException.invalid("placement policy '" + text
                    + "' is unknown; use least-allocated or bin-packing");
        };
    }
}
