package dsp.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dsp.core.DomainException;
import dsp.core.DomainException.Code;
import dsp.core.Fleet;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.model.VolumePhase;
import dsp.core.port.StorageCleaner;
import dsp.core.port.StorageCleaner.Item;
import dsp.core.port.StorageCleaner.Outcome;
import dsp.core.port.TemplateLibrary;
import dsp.core.vm.Template;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Templates (import, by URL, optimize, delete only without children) and cleanup runs, over in-memory adapters. */
class TemplateAndCleanupUseCaseTest {

    private static final long GB = 1_000_000_000L;
    private static final String SHA = "a".repeat(64);

    private final Fleet fleet = new Fleet();
    private final ScriptedVolumes library = new ScriptedVolumes()
            .withTemplate(new Template("ubuntu22", VolumeFormat.QCOW2, 10 * GB, 2 * GB));
    private final TemplateService templates = new TemplateService(library, fleet.store, new FleetLock());

    private static void refused(ThrowingCallable call, Code code, String message) {
        assertThatThrownBy(call).isInstanceOf(DomainException.class).hasMessageContaining(message)
                .extracting(e -> ((DomainException) e).code()).isEqualTo(code);
    }

    @Test
    void templatesAreListedAndFoundByName() {
        assertThat(templates.list()).extracting(Template::name).containsExactly("ubuntu22");
        assertThat(templates.get("ubuntu22").virtualBytes()).isEqualTo(10 * GB);
        refused(() -> templates.get("debian"), Code.NOT_FOUND, "template 'debian' does not exist");
        refused(() -> templates.get("../x"), Code.INVALID, "template name '../x' is invalid");
        assertThat(templates.serversWith("ubuntu22")).isEmpty();
        library.heldOnlyBy(Set.of("vm-2"));
        assertThat(templates.serversWith("ubuntu22")).contains(Set.of("vm-2"));
    }

    @Test
    void anImportNeedsAFreeNameAndAFile() {
        assertThat(templates.importTemplate("debian", "debian.qcow2").name()).isEqualTo("debian");
        assertThat(library.calls).containsExactly("import debian debian.qcow2");
        refused(() -> templates.importTemplate("debian", "other.qcow2"), Code.CONFLICT, "template 'debian' already exists");
        refused(() -> templates.importTemplate("fedora", " "), Code.INVALID, "a source image file is required");
        refused(() -> templates.importTemplate("fedora", null), Code.INVALID, "a source image file is required");
        refused(() -> templates.importTemplate("Fedora", "f.qcow2"), Code.INVALID, "template name 'Fedora' is invalid");
        assertThat(library.calls).hasSize(1);
    }

    @Test
    void anImportByUrlNeedsANameFreeOfTemplatesAndImports() {
        TemplateLibrary.UrlImport i = templates.importFromUrl("fedora", " https://images.example/fedora.qcow2 ", SHA.toUpperCase());
        assertThat(i.url()).isEqualTo("https://images.example/fedora.qcow2");
        assertThat(i.sha256()).isEqualTo(SHA);
        assertThat(templates.imports()).containsExactly(i);
        refused(() -> templates.importFromUrl("fedora", "https://x.example/f", SHA), Code.CONFLICT, "template 'fedora' already exists");
        refused(() -> templates.importFromUrl("ubuntu22", "https://x.example/u", SHA), Code.CONFLICT, "template 'ubuntu22' already exists");
        refused(() -> templates.importFromUrl("arch", "ftp://x.example/a", SHA), Code.INVALID, "must be an http or https URL");
        refused(() -> templates.importFromUrl("Arch", "https://x.example/a", SHA), Code.INVALID, "template name 'Arch' is invalid");
        assertThat(templates.importFromUrl("arch", "http://x.example/arch.raw", SHA).name()).as("another name is free").isEqualTo("arch");
        String long80 = "https://x.example/" + "a".repeat(62);
        refused(() -> templates.importFromUrl("long", long80 + " b", SHA), Code.INVALID, "url '" + long80 + "...' must be");
        String exactly80 = "ftp://x.example/" + "a".repeat(64);
        refused(() -> templates.importFromUrl("long", exactly80, SHA), Code.INVALID, "url '" + exactly80 + "' must be");
        assertThat(library.calls).containsExactly("import-url fedora https://images.example/fedora.qcow2",
                "import-url arch http://x.example/arch.raw");
    }

    @Test
    void optimizingNeedsTheTemplate() {
        assertThat(templates.optimize("ubuntu22")).isEqualTo(new TemplateLibrary.Optimized("ubuntu22", 1000, 400));
        refused(() -> templates.optimize("debian"), Code.NOT_FOUND, "does not exist");
        assertThat(library.calls).containsExactly("optimize ubuntu22");
    }

    @Test
    void aTemplateWithDisksMadeFromItIsNotDeleted() {
        fleet.label("vm-1", "vm");
        for (String name : List.of("vm-1", "vm-2")) {
            fleet.admission.admit(new CapacityAdmission.Request(name, "vm", 10 * GB, "vm-disk", Optional.empty(), VolumeFormat.QCOW2,
                    Optional.of("ubuntu22"), Optional.of(name), VolumePhase.READY));
        }
        fleet.admission.admit(new CapacityAdmission.Request("plain", "vm", GB, "volume", Optional.empty()));
        refused(() -> templates.delete("ubuntu22"), Code.CONFLICT, "template 'ubuntu22' has 2 disk(s) made from it, e.g. 'vm-1'; delete them first");
        assertThat(templates.list()).hasSize(1);

        for (Allocation a : fleet.store.listAllocations()) {
            if (a.template().isPresent()) {
                fleet.admission.release(a.id());
            }
        }
        templates.delete("ubuntu22");
        assertThat(templates.list()).isEmpty();
        assertThat(library.calls).containsExactly("delete-template ubuntu22");
        refused(() -> templates.delete("ubuntu22"), Code.NOT_FOUND, "does not exist");
    }

    /** A cleaner that records what each server was asked, answers from a script, and reads the references it is given. */
    private static final class ScriptedCleaner implements StorageCleaner {
        final Map<String, Outcome> answers = new HashMap<>();
        final Map<String, List<String>> referencedOn = new HashMap<>();
        final List<String> asked = new ArrayList<>();
        final Map<String, Outcome> recorded = new HashMap<>();
        /** What each server's plan says; a server without one cannot tell at once (as where agents clean). */
        final Map<String, List<Item>> plans = new HashMap<>();

        @Override
        public Optional<List<Item>> plan(String server, Supplier<List<Allocation>> referenced) {
            asked.add("plan " + server);
            return plans.containsKey(server) ? Optional.of(plans.get(server)) : Optional.empty();
        }

        @Override
        public List<Item> clean(String server, Supplier<List<Allocation>> referenced, boolean dryRun) {
            throw new AssertionError("the run's clean is used");
        }

        @Override
        public Outcome clean(String run, String server, Supplier<List<Allocation>> referenced, boolean dryRun) {
            asked.add(run + " " + server + (dryRun ? " dry-run" : ""));
            referencedOn.put(server, referenced.get().stream().map(Allocation::name).toList());
            Outcome o = answers.getOrDefault(server, Outcome.done(server, dryRun, List.of()));
            recorded.put(run + "/" + server, o);
            return o;
        }

        @Override
        public Optional<Outcome> outcome(String run, String server) {
            return Optional.ofNullable(recorded.get(run + "/" + server));
        }
    }

    @Test
    void aRunAsksEveryServerWithOnlyItsOwnVolumesAsReferences() {
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        fleet.label("vm-1", "vm");
        fleet.admission.admit(new CapacityAdmission.Request("a", "k8s", GB, "volume", Optional.of("k8s-1")));
        fleet.admission.admit(new CapacityAdmission.Request("b", "k8s", GB, "volume", Optional.of("k8s-2")));
        fleet.admission.admit(new CapacityAdmission.Request("c", "k8s", GB, "volume", Optional.of("k8s-1")));
        ScriptedCleaner cleaner = new ScriptedCleaner();
        cleaner.answers.put("k8s-1", Outcome.done("k8s-1", false, List.of(
                new Item("k8s-1", "k8s", "junk", 300, "/k8s-storage-pool/.trash/t/junk"),
                new Item("k8s-1", "k8s", "old", 700, "/k8s-storage-pool/.trash/t/old"))));
        cleaner.answers.put("k8s-2", Outcome.pending("k8s-2", false));
        cleaner.answers.put("vm-1", Outcome.failed("vm-1", false, "disk unreadable"));
        CleanupService cleanup = new CleanupService(fleet.inventory, fleet.store, cleaner, fleet.clock);

        List<String> steps = new java.util.ArrayList<>();
        CleanupService.Report r = cleanup.run(false, (done, total, step) -> steps.add(step + " asked " + cleaner.asked.size()));

        assertThat(steps).as("each server named before it is asked; no plan at once, so no total").containsExactly(
                "sizing orphans on k8s-1 (server 1 of 3) asked 0",
                "moving orphans on k8s-1 (server 1 of 3) asked 1", "moving orphans on k8s-2 (server 2 of 3) asked 2",
                "moving orphans on vm-1 (server 3 of 3) asked 3");
        cleaner.asked.remove("plan k8s-1");
        String run = fleet.clock.instant().toString();
        assertThat(r.run()).isEqualTo(run);
        assertThat(r.at()).isEqualTo(fleet.clock.instant());
        assertThat(r.dryRun()).isFalse();
        assertThat(cleaner.asked).containsExactly(run + " k8s-1", run + " k8s-2", run + " vm-1");
        assertThat(cleaner.referencedOn).containsEntry("k8s-1", List.of("a", "c")).containsEntry("k8s-2", List.of("b"))
                .containsEntry("vm-1", List.of());
        assertThat(r.servers()).containsExactly("k8s-1", "k8s-2", "vm-1");
        assertThat(r.items()).extracting(Item::entry).containsExactly("junk", "old");
        assertThat(r.bytes()).isEqualTo(1000);
        assertThat(r.pending()).containsExactly("k8s-2");
        assertThat(r.failed()).extracting(Outcome::server).containsExactly("vm-1");
        assertThat(r.failed().get(0).error()).contains("disk unreadable");

        assertThat(cleanup.progress(run)).hasValueSatisfying(p -> {
            assertThat(p.run()).isEqualTo(run);
            assertThat(p.dryRun()).isFalse();
            assertThat(p.servers()).containsExactly("k8s-1", "k8s-2", "vm-1");
            assertThat(p.bytes()).isEqualTo(1000);
        });
        assertThat(cleanup.progress("another-run")).isEmpty();
    }

    @Test
    void aRunCountsTheBytesItMovesOfWhatItsPlanFound() {
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        List<Item> big = List.of(new Item("k8s-1", "k8s", "old-image", 40 * GB, "/t/old-image"));
        List<Item> small = List.of(new Item("k8s-2", "k8s", "junk", 300, "/t/junk"), new Item("k8s-2", "k8s", "tmp", 700, "/t/tmp"));
        ScriptedCleaner cleaner = new ScriptedCleaner();
        cleaner.plans.put("k8s-1", big);
        cleaner.plans.put("k8s-2", small);
        cleaner.answers.put("k8s-1", Outcome.done("k8s-1", false, big));
        cleaner.answers.put("k8s-2", Outcome.done("k8s-2", false, small));
        CleanupService cleanup = new CleanupService(fleet.inventory, fleet.store, cleaner, fleet.clock);

        List<String> reported = new ArrayList<>();
        cleanup.run(false, (done, total, step) -> reported.add(done + "/" + total + " " + step));

        long total = 40 * GB + 1000;
        assertThat(reported).as("sized first, then the bytes moved of that total: the big orphan is most of the bar").containsExactly(
                "0/0 sizing orphans on k8s-1 (server 1 of 2)", "0/0 sizing orphans on k8s-2 (server 2 of 2)",
                "0/" + total + " moving orphans on k8s-1 (server 1 of 2)",
                40 * GB + "/" + total + " moving orphans on k8s-2 (server 2 of 2)",
                total + "/" + total + " moved 3 orphan(s) to the trash");
        assertThat(cleaner.asked).as("plans before any move").startsWith("plan k8s-1", "plan k8s-2");
    }

    @Test
    void aRunThatFindsMoreThanItsPlanNeverShowsMoreThanAllDone() {
        fleet.label("k8s-1", "k8s");
        List<Item> found = List.of(new Item("k8s-1", "k8s", "junk", 500, "/t/junk"));
        ScriptedCleaner cleaner = new ScriptedCleaner();
        cleaner.plans.put("k8s-1", List.of());
        cleaner.answers.put("k8s-1", Outcome.done("k8s-1", false, found)); // an orphan appeared after the plan
        List<String> reported = new ArrayList<>();
        new CleanupService(fleet.inventory, fleet.store, cleaner, fleet.clock)
                .run(false, (done, total, step) -> reported.add(done + "/" + total));
        assertThat(reported).containsExactly("0/0", "0/0", "500/500");
    }

    @Test
    void aDryRunSaysSoAndItsProgressIsADryRunOnlyWhenEveryServerSaysSo() {
        fleet.label("k8s-1", "k8s");
        fleet.label("k8s-2", "k8s");
        ScriptedCleaner cleaner = new ScriptedCleaner();
        cleaner.answers.put("k8s-1", Outcome.done("k8s-1", true, List.of()));
        cleaner.answers.put("k8s-2", Outcome.done("k8s-2", true, List.of()));
        CleanupService cleanup = new CleanupService(fleet.inventory, fleet.store, cleaner, fleet.clock);
        List<String> steps = new java.util.ArrayList<>();
        CleanupService.Report r = cleanup.run(true, (done, total, step) -> steps.add(step));
        assertThat(steps).containsExactly("looking for orphans on k8s-1 (server 1 of 2)", "looking for orphans on k8s-2 (server 2 of 2)");
        assertThat(r.dryRun()).isTrue();
        assertThat(cleaner.asked).allMatch(a -> a.endsWith(" dry-run"));
        assertThat(cleanup.progress(r.run()).orElseThrow().dryRun()).isTrue();

        cleaner.recorded.put(r.run() + "/k8s-2", Outcome.done("k8s-2", false, List.of()));
        assertThat(cleanup.progress(r.run()).orElseThrow().dryRun()).isFalse();
    }

    @Test
    void aCleanerThatWorksHereIsDoneWhenItReturns() {
        fleet.label("k8s-1", "k8s");
        List<Item> moved = List.of(new Item("k8s-1", "k8s", "junk", 5, "/t/junk"));
        StorageCleaner local = (server, referenced, dryRun) -> moved;
        CleanupService cleanup = new CleanupService(fleet.inventory, fleet.store, local, fleet.clock);
        CleanupService.Report r = cleanup.run(true);
        assertThat(r.outcomes()).containsExactly(new Outcome("k8s-1", true, Outcome.State.DONE, moved, Optional.empty()));
        assertThat(r.pending()).isEmpty();
        assertThat(r.failed()).isEmpty();
        assertThat(cleanup.progress(r.run())).as("such a cleaner keeps no record").isEmpty();
    }
}
