package dsp.cli.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.core.DomainException;
import dsp.core.model.Allocation;
import dsp.core.model.VolumeFormat;
import dsp.core.operation.Operations;
import dsp.core.port.AllocationStore;
import dsp.api.Backups;
import dsp.core.port.ServerInventory;
import dsp.core.port.VmStore;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.VirtualMachine;
import dsp.node.QemuImg;
import dsp.store.sqlite.SqliteDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Backups of a standalone server: one zip holding the SQLite state (SQLite's online backup), the
 * configuration, the template catalogue (the images) and, when asked, the disks of stopped VMs
 * flattened from their backing chain. {@link #restore} unpacks one into an empty data dir.
 */
public final class StandaloneBackup implements Backups {

    static final String FORMAT = "dynamic-storage-pools-backup";
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("^backup-[0-9TZ-]+\\.zip$");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(java.time.ZoneOffset.UTC);

    private final Path dataDir;
    private final SqliteDatabase db;
    private final Path templates;
    private final ServerInventory inventory;
    private final AllocationStore allocations;
    private final VmStore vms;
    private final VolumeMaker maker;
    private final QemuImg qemu;
    private final dsp.core.port.TemplateLibrary library;
    private final java.util.function.Supplier<Optional<String>> configYaml;
    private final Clock clock;

    StandaloneBackup(Path dataDir, SqliteDatabase db, Path templates, ServerInventory inventory, AllocationStore allocations,
                     VmStore vms, VolumeMaker maker, QemuImg qemu, dsp.core.port.TemplateLibrary library,
                     java.util.function.Supplier<Optional<String>> configYaml, Clock clock) {
        this.library = library;
        this.dataDir = dataDir;
        this.db = db;
        this.templates = templates;
        this.inventory = inventory;
        this.allocations = allocations;
        this.vms = vms;
        this.maker = maker;
        this.qemu = qemu;
        this.configYaml = configYaml;
        this.clock = clock;
    }

    Path backupsDir() {
        return dataDir.resolve("backups");
    }

    @Override
    public synchronized Written write(boolean withDisks, Operations.Progress progress) {
        List<VirtualMachine> vmList = vms.listVms();
        List<Allocation> volumes = allocations.listAllocations();
        Map<String, VirtualMachine> vmByDisk = vmList.stream().collect(Collectors.toMap(VirtualMachine::diskId, v -> v, (a, b) -> a));
        List<Allocation> disks = withDisks ? volumes.stream().filter(a -> vmByDisk.containsKey(a.id()) && a.format() != VolumeFormat.DIRECTORY)
                .toList() : List.of();
        for (Allocation d : disks) {
            Path image = Path.of(maker.pathOf(d));
            if (Files.exists(image) && qemu.inUse(image)) {
                VirtualMachine vm = vmByDisk.get(d.id());
                throw DomainException.conflict("VM " + vm.namespace() + "/" + vm.name() + " is running (its disk image is locked): "
                        + "stop it before a backup --with-disks, or back up without its disk");
            }
        }
        List<Path> templateFiles = list(templates);
        long total = templateFiles.stream().mapToLong(StandaloneBackup::size).sum()
                + disks.stream().mapToLong(d -> size(Path.of(maker.pathOf(d)))).sum();
        String name = "backup-" + STAMP.format(clock.instant()) + ".zip";
        Path dir = backupsDir();
        Path temporary = dir.resolve(".tmp-" + name);
        Path work = dir.resolve(".tmp-" + name + ".d");
        long[] done = {0};
        try {
            Files.createDirectories(work);
            progress.progress(0, total, "backing up the state (SQLite online backup)");
            Path state = work.resolve("pools.db");
            db.backupTo(state);
            try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(temporary))) {
                zip.setLevel(Deflater.BEST_SPEED);
                ObjectNode manifest = JSON.createObjectNode()
                        .put("format", FORMAT).put("version", VERSION).put("mode", "standalone")
                        .put("created_at", clock.instant().toString()).put("with_disks", withDisks);
                manifest.put("servers", inventory.listServers().size()).put("volumes", volumes.size()).put("vms", vmList.size());
                ArrayNode templateNames = manifest.putArray("templates");
                templateFiles.forEach(t -> templateNames.add(t.getFileName().toString()));
                ArrayNode diskEntries = manifest.putArray("disks");
                put(zip, "state/pools.db", state, b -> { });
                configYaml.get().ifPresent(yaml -> putBytes(zip, "config/pools.yaml", yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                for (Path t : templateFiles) {
                    put(zip, "templates/" + t.getFileName(), t, b -> progress.progress(done[0] += b, total, "template " + t.getFileName()));
                }
                for (Allocation d : disks) {
                    Path image = Path.of(maker.pathOf(d));
                    Path flat = work.resolve(d.id() + "." + d.format().display());
                    progress.progress(done[0], total, "flattening the disk of VM " + vmByDisk.get(d.id()).name());
                    qemu.convert(image, d.format().display(), flat, d.format().display(), false);
                    String entry = "disks/" + d.id();
                    put(zip, entry, flat, b -> progress.progress(done[0] += b, total, "disk of VM " + vmByDisk.get(d.id()).name()));
                    Files.delete(flat);
                    diskEntries.add(JSON.createObjectNode().put("allocation", d.id()).put("entry", entry).put("format", d.format().display()));
                }
                putBytes(zip, "manifest.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
            }
            Files.move(temporary, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            return new Written(name, Files.size(dir.resolve(name)), inventory.listServers().size(), volumes.size(), vmList.size(),
                    templateFiles.size(), disks.size());
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot write backup " + name + ": " + e.getMessage());
        } finally {
            deleteQuietly(temporary);
            deleteTree(work);
        }
    }

    @Override
    public InputStream open(String name) {
        try {
            return Files.newInputStream(existing(name));
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot read backup " + name + ": " + e.getMessage());
        }
    }

    @Override
    public void delete(String name) {
        try {
            Files.delete(existing(name));
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot delete backup " + name + ": " + e.getMessage());
        }
    }

    private Path existing(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw DomainException.invalid("'" + name + "' is not a backup name such as backup-20261125T120000Z.zip");
        }
        Path file = backupsDir().resolve(name);
        if (!Files.isRegularFile(file)) {
            throw DomainException.notFound("backup " + name + " does not exist");
        }
        return file;
    }

    // ---- restore ----

    /** What a restore put in place. */
    public record Restored(int servers, int volumes, int vms, int templates, int disks, int recreated, Optional<Path> config,
                           Optional<Path> previous) {
    }

    /**
     * Unpacks a backup into {@code dataDir}, which must be empty unless {@code force}; with force,
     * what was there is moved aside to {@code pre-restore-<time>/} (nothing is deleted). Volumes
     * whose data the backup does not hold are made again (empty directories, fresh VM disks from
     * their template) when the restored server is opened.
     */
    public static Restored unpack(Path backup, Path dataDir, boolean force, Clock clock, Operations.Progress progress) {
        try (ZipFile zip = new ZipFile(backup.toFile())) {
            ZipEntry m = zip.getEntry("manifest.json");
            if (m == null) {
                throw DomainException.invalid(backup + " is not a Dynamic Storage Pools backup (no manifest.json)");
            }
            JsonNode manifest = JSON.readTree(zip.getInputStream(m));
            if (!FORMAT.equals(manifest.path("format").asText()) || manifest.path("version").asInt() != VERSION) {
                throw DomainException.invalid(backup + " is not a version " + VERSION + " Dynamic Storage Pools backup");
            }
            if (!"standalone".equals(manifest.path("mode").asText())) {
                throw DomainException.invalid(backup + " is a " + manifest.path("mode").asText()
                        + " backup; restore it with poolctl restore FILE --kubeconfig FILE");
            }
            Optional<Path> previous = Optional.empty();
            List<String> present = occupied(dataDir);
            if (!present.isEmpty()) {
                if (!force) {
                    throw DomainException.conflict("the data dir " + dataDir + " is not empty (" + String.join(", ", present)
                            + "); restore into an empty one, or add --force to move what is there aside first");
                }
                Path aside = dataDir.resolve("pre-restore-" + STAMP.format(clock.instant()));
                Files.createDirectories(aside);
                for (String entry : present) {
                    Files.move(dataDir.resolve(entry), aside.resolve(entry));
                }
                previous = Optional.of(aside);
            }
            Files.createDirectories(dataDir);
            long total = zip.stream().mapToLong(ZipEntry::getSize).filter(s -> s > 0).sum();
            long[] done = {0};
            int templates = 0;
            Optional<Path> config = Optional.empty();
            for (ZipEntry e : zip.stream().toList()) {
                String n = e.getName();
                Path target;
                if (n.equals("state/pools.db")) {
                    target = dataDir.resolve("pools.db");
                } else if (n.equals("config/pools.yaml")) {
                    target = dataDir.resolve("pools.yaml");
                    config = Optional.of(target);
                } else if (n.startsWith("templates/") && safeName(n.substring("templates/".length()))) {
                    target = dataDir.resolve("templates").resolve(n.substring("templates/".length()));
                    templates++;
                } else {
                    continue; // the manifest, and disks (placed once the state says where)
                }
                extract(zip, e, target, b -> progress.progress(done[0] += b, total, "restoring " + n));
                if (n.startsWith("templates/")) {
                    target.toFile().setReadOnly();
                }
            }
            int disks = manifest.path("disks").size();
            return new Restored(manifest.path("servers").asInt(), manifest.path("volumes").asInt(), manifest.path("vms").asInt(),
                    templates, disks, 0, config, previous);
        } catch (java.util.zip.ZipException e) {
            throw DomainException.invalid(backup + " is not a readable zip file: " + e.getMessage());
        } catch (NoSuchFileException e) {
            throw DomainException.invalid("backup file " + backup + " does not exist");
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot restore " + backup + ": " + e.getMessage());
        }
    }

    /**
     * Second half of a restore, on the restored server's own adapters: puts each backed-up disk
     * where its allocation says, then makes what no backup holds.
     *
     * @return how many volumes were made again without their data
     */
    int placeDisksAndRecreate(Path backup, Operations.Progress progress) {
        int recreated = 0;
        try (ZipFile zip = new ZipFile(backup.toFile())) {
            JsonNode manifest = JSON.readTree(zip.getInputStream(zip.getEntry("manifest.json")));
            for (JsonNode d : manifest.path("disks")) {
                Optional<Allocation> a = allocations.findAllocation(d.path("allocation").asText());
                ZipEntry e = zip.getEntry(d.path("entry").asText());
                if (a.isEmpty() || e == null) {
                    continue;
                }
                Path target = Path.of(maker.pathOf(a.get()));
                String step = "placing " + described(a.get());
                long[] placed = {0};
                progress.progress(0, e.getSize(), step);
                extract(zip, e, target, b -> progress.progress(placed[0] += b, e.getSize(), step));
            }
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot place the disks of " + backup + ": " + e.getMessage());
        }
        for (Allocation a : allocations.listAllocations()) {
            if (!maker.exists(a)) {
                progress.progress(0, 0, "making " + described(a) + " again (the backup holds no data for it)");
                maker.make(a, a.template().flatMap(library::findTemplate), progress);
                recreated++;
            }
        }
        return recreated;
    }

    /** How a user knows an allocation: the VM whose disk it is, or the volume's name. */
    private String described(Allocation a) {
        return vms.listVms().stream().filter(v -> v.diskId().equals(a.id())).findFirst()
                .map(v -> "the disk of VM " + v.namespace() + "/" + v.name()).orElse("volume " + a.name());
    }

    private static List<String> occupied(Path dataDir) throws IOException {
        List<String> present = new ArrayList<>();
        if (!Files.isDirectory(dataDir)) {
            return present;
        }
        for (String entry : List.of("pools.db", "pools.db-wal", "pools.db-shm", "pools.yaml", "templates", "servers")) {
            Path p = dataDir.resolve(entry);
            if (Files.isRegularFile(p) || (Files.isDirectory(p) && !isEmptyDir(p))) {
                present.add(entry);
            }
        }
        return present;
    }

    private static boolean isEmptyDir(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    private static boolean safeName(String file) {
        return file.matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\.(qcow2|raw)$");
    }

    private static void extract(ZipFile zip, ZipEntry e, Path target, java.util.function.LongConsumer copied) throws IOException {
        Files.createDirectories(target.getParent());
        Path temporary = target.resolveSibling(".tmp-restore-" + target.getFileName());
        try (InputStream in = zip.getInputStream(e); OutputStream out = Files.newOutputStream(temporary)) {
            byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                copied.accept(n);
            }
        }
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void put(ZipOutputStream zip, String entry, Path file, java.util.function.LongConsumer copied) throws IOException {
        zip.putNextEntry(new ZipEntry(entry));
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) > 0) {
                zip.write(buffer, 0, n);
                copied.accept(n);
            }
        }
        zip.closeEntry();
    }

    private static void putBytes(ZipOutputStream zip, String entry, byte[] bytes) {
        try {
            zip.putNextEntry(new ZipEntry(entry));
            zip.write(bytes);
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, p -> !p.getFileName().toString().startsWith(".") && Files.isRegularFile(p))) {
            s.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(null);
        return out;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover temporary is swept by the next backup's name check
        }
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(StandaloneBackup::deleteQuietly);
        } catch (IOException e) {
            // best effort
        }
    }
}
