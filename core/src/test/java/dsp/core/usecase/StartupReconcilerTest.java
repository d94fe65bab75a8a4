package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.core.Fleet;
import dsp.core.memory.InMemoryVmStore;
import dsp.core.memory.InMemoryVolumes;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.vm.Template;
import dsp.core.vm.VirtualMachine;
import dsp.core.vm.VmStatus;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every state a crash can leave behind converges, and a second pass changes nothing. */
class StartupReconcilerTest {

    private static final long GB = 1_000_000_000L;

    @Test
    void convergesEveryHalfFinishedOperation() {
        Fleet f = new Fleet();
        f.label("vm-1", "vm");
        InMemoryVolumes disks = new InMemoryVolumes().withTemplate(new Template("ubuntu22", VolumeFormat.QCOW2, 10 * GB, 1));
        InMemoryVmStore vms = new InMemoryVmStore();
        Template t = disks.findTemplate("ubuntu22").orElseThrow();

        // 1. crashed after the disk was made, before it was recorded Ready
        Allocation made = pending(f, "vm-made");
        disks.make(made, Optional.of(t));
        vms.addVm(vm("vm-made", made, VmStatus.CREATING));
        // 2. crashed before the disk was made
        Allocation unmade = pending(f, "vm-unmade");
        vms.addVm(vm("vm-unmade", unmade, VmStatus.CREATING));
        // 3. crashed between admission and recording the VM
        Allocation orphan = pending(f, "vm-orphan");
        disks.make(orphan, Optional.of(t));
        // 4. crashed between growing the allocation and growing the image
        Allocation grown = pending(f, "vm-grown");
        disks.make(grown, Optional.of(t));
        f.admission.update(grown.withPhase(VolumePhase.READY));
        vms.addVm(vm("vm-grown", grown, VmStatus.STOPPED));
        f.admission.grow(grown.id(), 80 * GB);
        // 5. a VM whose disk record is gone
        vms.addVm(new VirtualMachine("vm-lost", "lost", "default", "ubuntu22", Optional.empty(), 1, 1, "nope", VmStatus.CREATING, Instant.EPOCH));

        StartupReconciler r = new StartupReconciler(f.store, vms, disks, f.admission);
        StartupReconciler.Report report = r.reconcile();

        assertThat(report.completed()).contains("vm-made");
        assertThat(report.rolledBack()).contains("vm-unmade", "vm-orphan", "vm-lost");
        assertThat(report.regrown()).containsExactly("vm-grown");
        assertThat(f.store.listAllocations()).extracting(Allocation::name).containsExactlyInAnyOrder("vm-made", "vm-grown");
        assertThat(f.store.listAllocations()).allSatisfy(a -> assertThat(a.phase()).isEqualTo(VolumePhase.READY));
        assertThat(vms.listVms()).extracting(VirtualMachine::id).containsExactlyInAnyOrder("vm-made", "vm-grown");
        assertThat(vms.findVm("vm-made").orElseThrow().status()).isEqualTo(VmStatus.STOPPED);
        assertThat(disks.exists(orphan)).isFalse();
        assertThat(disks.presentedBytes(grown)).isEqualTo(80 * GB);
        assertThat(f.queries.status().pool("vm").orElseThrow().used()).isEqualTo(130 * GB);

        assertThat(r.reconcile().changedAnything()).as("a second pass changes nothing").isFalse();
    }

    @Test
    void aStartedDeleteIsFinishedAndARecordSmallerThanItsImageGrowsToIt() {
        Fleet f = new Fleet();
        f.label("vm-1", "vm");
        InMemoryVolumes disks = new InMemoryVolumes().withTemplate(new Template("ubuntu22", VolumeFormat.QCOW2, 10 * GB, 1));
        InMemoryVmStore vms = new InMemoryVmStore();
        Template t = disks.findTemplate("ubuntu22").orElseThrow();
        // 1. a delete marked Deleting, then the process died (data still there, or already gone)
        Allocation doomed = pending(f, "vm-doomed");
        disks.make(doomed, Optional.of(t));
        f.admission.update(doomed.withPhase(VolumePhase.DELETING));
        vms.addVm(vm("vm-doomed", doomed, VmStatus.STOPPED));
        Allocation halfGone = pending(f, "vm-half");
        f.admission.update(halfGone.withPhase(VolumePhase.DELETING));
        // 2. two resizes raced before the fix: the image grew past its record
        Allocation grown = pending(f, "vm-grown");
        disks.make(grown, Optional.of(t));
        f.admission.update(grown.withPhase(VolumePhase.READY));
        vms.addVm(vm("vm-grown", grown, VmStatus.STOPPED));
        disks.grow(grown, 120 * GB);
        // 3. a Retain delete released the disk, then died before removing the VM
        Allocation released = pending(f, "vm-released");
        disks.make(released, Optional.of(t));
        f.admission.update(released.withPhase(VolumePhase.RELEASED).withOwner(Optional.empty()));
        vms.addVm(vm("vm-released", released, VmStatus.STOPPED));

        StartupReconciler r = new StartupReconciler(f.store, vms, disks, f.admission);
        StartupReconciler.Report report = r.reconcile();

        assertThat(report.deleted()).containsExactlyInAnyOrder("vm-doomed", "vm-half");
        assertThat(report.recordsResized()).containsExactly("vm-grown");
        assertThat(report.problems()).isEmpty();
        assertThat(disks.exists(doomed)).isFalse();
        assertThat(f.store.listAllocations()).extracting(Allocation::name).containsExactlyInAnyOrder("vm-grown", "vm-released");
        assertThat(f.store.findAllocation(grown.id()).orElseThrow().sizeBytes()).isEqualTo(120 * GB);
        assertThat(vms.listVms()).extracting(VirtualMachine::id).containsExactly("vm-grown");
        assertThat(disks.exists(released)).as("a released disk keeps its data").isTrue();
        assertThat(f.queries.status().pool("vm").orElseThrow().used()).isEqualTo(170 * GB);
        assertThat(r.reconcile().changedAnything()).as("a second pass changes nothing").isFalse();
    }

    private static Allocation pending(Fleet f, String id) {
        return f.admission.admit(new CapacityAdmission.Request(id, "vm", 50 * GB, "vm-disk", Optional.empty(), VolumeFormat.QCOW2,
                Optional.of("ubuntu22"), Optional.of(id), VolumePhase.PENDING));
    }

    private static VirtualMachine vm(String id, Allocation disk, VmStatus status) {
        return new VirtualMachine(id, id, "default", "ubuntu22", Optional.empty(), 1, 1, disk.id(), status, Instant.EPOCH);
    }
}
