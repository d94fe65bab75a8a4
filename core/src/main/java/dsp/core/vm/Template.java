package dsp.core.vm;

import dsp.core.model.VolumeFormat;

/** A read-only base image VM disks are made from. */
public record Template(String name, VolumeFormat format, long virtualBytes, long fileBytes) {
}
