package dsp.core.vm;

import dsp.core.model.Allocation;

/** A VM with its disk as the API shows it. */
public record VmView(VirtualMachine vm, Allocation disk, String diskPath) {
}
