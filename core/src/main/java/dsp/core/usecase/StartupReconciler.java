package dsp.core.usecase;

import dsp.core.model.Allocation;
import dsp.core.model.MoveRecords;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.AllocationStore;
import dsp.core.port.VmStore;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.VirtualMachine;
import dsp.core.vm.VmStatus;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Converges records and disks after a crash: half-made data is swept, operations that never
 * finished are rolled back (no leaked capacity), ones that finished on disk are recorded, deletes
 * that were started are finished, and an image and its record that disagree on the size are made
 * to agree (the image grows to its record, or the record to its image: capacity is never
 * under-counted). Idempotent: running it twice changes nothing the second time. One volume it
 * cannot read does not stop the others; it is reported.
 */
public final class StartupReconciler {

    /** What the pass did, for the log. */
    public record Report(int temporariesRemoved, List<String> rolledBack, List<String> completed, List<String> regrown,
                         List<String> deleted, List<String> recordsResized, List<String> problems) {

        public Report(int temporariesRemoved, List<String> rolledBack, List<String> completed, List<String> regrown) {
            this(temporariesRemoved, rolledBack, completed, regrown, List.of(), List.of(), List.of());
        }

        public boolean changedAnything() {
            return temporariesRemoved > 0 || !rolledBack.isEmpty() || !completed.isEmpty() || !regrown.isEmpty()
                    || !deleted.isEmpty() || !recordsResized.isEmpty();
        }
    }

    private final AllocationStore allocations;
    private final VmStore vms;
    private final VolumeMaker maker;
    private final CapacityAdmission admission;
    private final VolumeData data;

    public StartupReconciler(AllocationStore allocations, VmStore vms, VolumeMaker maker, CapacityAdmission admission) {
        this.allocations = allocations;
        this.vms = vms;
        this.maker = maker;
        this.admission = admission;
        this.data = new VolumeData(admission, maker);
    }

    public Report reconcile() {
        int swept = maker.sweepTemporaries();
        // moves first: their records say which copy is the volume's, before anything below looks at the volumes
        MoveSettlement.Outcome moves = new MoveSettlement(allocations, admission, maker).settleAll();
        // a VM's disk is named after the VM, so a set keeps each name once
        Set<String> rolledBack = new LinkedHashSet<>();
        Set<String> completed = new LinkedHashSet<>();
        List<String> regrown = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        List<String> resized = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<String> vmIds = vms.listVms().stream().map(VirtualMachine::id).collect(Collectors.toSet());
        moves.undone().forEach(id -> rolledBack.add("move of " + id));
        moves.finished().forEach(id -> completed.add("move of " + id));
        problems.addAll(moves.problems());
        for (Allocation a : allocations.listAllocations()) {
            if (MoveRecords.isMoveRecord(a)) {
                continue; // a move that could not be settled: its records stay as they are for the next pass
            }
            try {
                boolean orphanDisk = a.owner().isPresent() && !vmIds.contains(a.owner().get());
                if (a.phase() == VolumePhase.DELETING) {
                    data.delete(a);
                    deleted.add(a.name());
                } else if (a.phase() == VolumePhase.PENDING) {
                    if (maker.exists(a) && !orphanDisk) {
                        admission.update(a.withPhase(VolumePhase.READY));
                        completed.add(a.name());
                    } else {
                        maker.delete(a);
                        admission.release(a.id());
                        rolledBack.add(a.name());
                    }
                } else if (a.format() != VolumeFormat.DIRECTORY && maker.exists(a)) {
                    long presented = maker.presentedBytes(a);
                    if (presented < a.sizeBytes()) {
                        maker.grow(a, a.sizeBytes());
                        regrown.add(a.name());
                    } else if (presented > a.sizeBytes()) {
                        // the image grew and its record did not: the record follows what is really promised on disk
                        admission.restoreSize(a.id(), presented);
                        resized.add(a.name());
                    }
                }
            } catch (RuntimeException e) {
                problems.add(a.name() + ": " + e.getMessage());
            }
        }
        Set<String> diskIds = allocations.listAllocations().stream().map(Allocation::id).collect(Collectors.toSet());
        for (VirtualMachine vm : vms.listVms()) {
            Optional<Allocation> disk = allocations.findAllocation(vm.diskId());
            if (!diskIds.contains(vm.diskId()) || disk.isEmpty() || !disk.get().owner().map(vm.id()::equals).orElse(false)) {
                // its disk is gone, or was released by a delete of this VM that stopped half-way
                vms.removeVm(vm.id());
                rolledBack.add(vm.id());
            } else if (vm.status() == VmStatus.CREATING && disk.get().phase() == VolumePhase.READY) {
                vms.updateVm(vm.withStatus(VmStatus.STOPPED));
                completed.add(vm.id());
            }
        }
        return new Report(swept, List.copyOf(rolledBack), List.copyOf(completed), regrown, deleted, resized, problems);
    }
}
