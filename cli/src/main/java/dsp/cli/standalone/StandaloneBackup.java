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
import dsp.config.PoolConfig;
import dsp.core.model.PoolCatalog;
import dsp.core.model.Server;
import dsp.core.usecase.FleetLock;
import dsp.core.vm.Template;
import dsp.node.FileTemplateLibrary;
import dsp.store.sqlite.SqliteAllocationStore;
import dsp.store.sqlite.SqliteServerInventory;
import dsp.store.sqlite.SqliteVmStore;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.UUID;
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
    private final FileTemplateLibrary library;
    private final java.util.function.Supplier<Optional<String>> configYaml;
    private final PoolCatalog catalog;
    private final FleetLock lock;
    private final Clock clock;
    /** Uploads whose arrival made the backups dir, which goes again with them. */
    private final Set<String> madeTheBackupsDirFor = java.util.concurrent.ConcurrentHashMap.newKeySet();

    StandaloneBackup(Path dataDir, SqliteDatabase db, Path templates, ServerInventory inventory, AllocationStore allocations,
                     VmStore vms, VolumeMaker maker, QemuImg qemu, FileTemplateLibrary library,
                     java.util.function.Supplier<Optional<String>> configYaml, PoolCatalog catalog, FleetLock lock, Clock clock) {
        this.library = library;
        this.catalog = catalog;
        this.lock = lock;
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
            JsonNode manifest = manifestOf(zip, backup.toString());
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

    /** The manifest of a standalone backup of this version; INVALID for anything else, {@code what} naming the file. */
    private static JsonNode manifestOf(ZipFile zip, String what) throws IOException {
        ZipEntry m = zip.getEntry("manifest.json");
        if (m == null) {
            throw DomainException.invalid(what + " is not a Dynamic Storage Pools backup (no manifest.json)");
        }
        JsonNode manifest;
        try {
            manifest = JSON.readTree(zip.getInputStream(m));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw DomainException.invalid(what + " is not a Dynamic Storage Pools backup (its manifest.json is not JSON)");
        }
        if (manifest == null || !FORMAT.equals(manifest.path("format").asText()) || manifest.path("version").asInt() != VERSION) {
            throw DomainException.invalid(what + " is not a version " + VERSION + " Dynamic Storage Pools backup");
        }
        if (!"standalone".equals(manifest.path("mode").asText())) {
            throw DomainException.invalid(what + " is a " + manifest.path("mode").asText()
                    + " backup; restore it with poolctl restore FILE --kubeconfig FILE");
        }
        return manifest;
    }

    // ---- restore into the running server (POST /api/v1/restore) ----

    @Override
    public Received receive(InputStream body) {
        Path dir = backupsDir();
        String name = ".upload-" + UUID.randomUUID() + ".zip";
        Path file = dir.resolve(name);
        try {
            if (!Files.isDirectory(dir)) {
                madeTheBackupsDirFor.add(name); // a refused restore leaves the data dir as it found it
            }
            Files.createDirectories(dir);
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
                return new Received(name, body.transferTo(out));
            }
        } catch (IOException e) {
            deleteQuietly(file);
            throw DomainException.storageFailed("cannot receive the backup: " + e.getMessage());
        }
    }

    /** What a backup holds, read from its own copy of the state. */
    private record Snapshot(List<Server> servers, List<Allocation> allocations, List<VirtualMachine> vms, List<String> templates, int disks) {
    }

    /**
     * Restores into this running server: checks the whole file first (every entry read back against
     * its checksum, the state opened), refuses a server that holds anything a fresh start does not
     * unless forced (then that is set aside under {@code pre-restore-<time>/}, never deleted), then
     * puts the backup's servers, templates, volumes and VMs in place and makes what it holds no data for.
     */
    @Override
    public Restoration restore(Received backup, boolean force, Runnable checked, Operations.Progress progress) {
        if (!backup.name().matches("^\\.upload-[0-9a-f-]+\\.zip$")) {
            throw DomainException.invalid("no backup was received under '" + backup.name() + "'");
        }
        Path file = backupsDir().resolve(backup.name());
        Path staging = backupsDir().resolve(backup.name() + ".d");
        String what = "the file sent";
        try (ZipFile zip = new ZipFile(file.toFile())) {
            int disks = manifestOf(zip, what).path("disks").size();
            // one count of bytes: every entry read back, then the templates and disks put in place
            long toCheck = zip.stream().mapToLong(ZipEntry::getSize).filter(n -> n > 0).sum();
            long toPlace = zip.stream().filter(e -> e.getName().startsWith("templates/") || e.getName().startsWith("disks/"))
                    .mapToLong(ZipEntry::getSize).filter(n -> n > 0).sum();
            Operations.Progress overall = new StepsAddingUp(progress, toCheck + toPlace);
            readEveryEntry(zip, overall);
            Snapshot snapshot = snapshotOf(zip, staging, what, disks);
            return lock.locked(() -> replaceWith(file, snapshot, force, checked, overall));
        } catch (java.util.zip.ZipException e) {
            throw DomainException.invalid(what + " is not a whole backup (a zip file that is truncated or damaged: " + e.getMessage() + ")");
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot restore the backup: " + e.getMessage());
        } finally {
            deleteQuietly(file);
            deleteTree(staging);
            if (madeTheBackupsDirFor.remove(backup.name())) {
                try {
                    Files.deleteIfExists(backupsDir());
                } catch (IOException stillUsed) {
                    // a backup was written there meanwhile
                }
            }
        }
    }

    /** Reads every entry through, so a damaged or cut-off backup is refused before anything changes. */
    private static void readEveryEntry(ZipFile zip, Operations.Progress progress) throws IOException {
        byte[] buffer = new byte[1 << 20];
        for (ZipEntry e : zip.stream().toList()) {
            String step = "checking the backup: " + e.getName();
            long done = 0;
            progress.progress(done, e.getSize(), step);
            try (InputStream in = zip.getInputStream(e)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    progress.progress(done += n, e.getSize(), step);
                }
            } catch (java.io.EOFException cut) {
                throw new java.util.zip.ZipException(e.getName() + " ends early");
            }
        }
    }

    /**
     * Steps that each count their own bytes from 0, shown as one count of a total known at the start:
     * a step's bytes are added to the done figure when the next step begins.
     */
    static final class StepsAddingUp implements Operations.Progress {
        private final Operations.Progress out;
        private final long total;
        private long finished;
        private long current;
        private String step = "";

        StepsAddingUp(Operations.Progress out, long total) {
            this.out = out;
            this.total = total;
        }

        @Override
        public synchronized void progress(long done, long stepTotal, String step) {
            if (!step.equals(this.step)) {
                finished += current;
                current = 0;
                this.step = step;
            }
            current = done;
            out.progress(Math.min(total, finished + done), total, step);
        }
    }

    private Snapshot snapshotOf(ZipFile zip, Path staging, String what, int disks) throws IOException {
        ZipEntry state = zip.getEntry("state/pools.db");
        if (state == null) {
            throw DomainException.invalid(what + " holds no state (state/pools.db)");
        }
        Files.createDirectories(staging);
        extract(zip, state, staging.resolve("pools.db"), b -> { });
        ZipEntry config = zip.getEntry("config/pools.yaml");
        if (config != null) {
            extract(zip, config, staging.resolve("pools.yaml"), b -> { });
            PoolCatalog theirs;
            try {
                theirs = PoolConfig.load(staging.resolve("pools.yaml")).catalog();
            } catch (RuntimeException e) {
                throw DomainException.invalid(what + " holds a configuration that cannot be read: " + e.getMessage());
            }
            if (!theirs.equals(catalog)) {
                throw DomainException.conflict("the backup was made with other pools (" + describe(theirs) + ") than this server runs with ("
                        + describe(catalog) + "): start the server with the backup's configuration, or restore it with the server "
                        + "stopped (poolctl restore FILE --data-dir DIR), which restores the configuration too");
            }
        }
        List<String> templateNames = zip.stream().map(ZipEntry::getName).filter(n -> n.startsWith("templates/"))
                .map(n -> n.substring("templates/".length())).filter(StandaloneBackup::safeName).toList();
        try (SqliteDatabase copy = SqliteDatabase.open(staging.resolve("pools.db"))) {
            return new Snapshot(new SqliteServerInventory(copy).listServers(), new SqliteAllocationStore(copy).listAllocations(),
                    new SqliteVmStore(copy).listVms(), templateNames, disks);
        } catch (DomainException e) {
            throw e;
        } catch (RuntimeException e) {
            throw DomainException.invalid(what + " holds a state that cannot be read: " + e.getMessage());
        }
    }

    private static String describe(PoolCatalog c) {
        return c.pools().stream().map(p -> p.name()).collect(Collectors.joining(", "));
    }

    /** Under the fleet lock: no volume can be admitted between the check that the server is empty and the restore. */
    private Restoration replaceWith(Path file, Snapshot backup, boolean force, Runnable checked, Operations.Progress progress) {
        List<Allocation> volumes = allocations.listAllocations();
        List<VirtualMachine> vmList = vms.listVms();
        List<Template> templatesHeld = library.listTemplates();
        List<Template> kept = templatesHeld.stream().filter(t -> !StandaloneServer.madeByAFreshStart(t)).toList();
        if (!(volumes.isEmpty() && vmList.isEmpty() && kept.isEmpty()) && !force) {
            List<String> held = new ArrayList<>();
            if (!volumes.isEmpty()) {
                held.add(volumes.size() + " volume(s)");
            }
            if (!vmList.isEmpty()) {
                held.add(vmList.size() + " VM(s)");
            }
            if (!kept.isEmpty()) {
                held.add("template(s) " + kept.stream().map(Template::name).collect(Collectors.joining(", ")));
            }
            throw DomainException.conflict("this server is not empty (it holds " + String.join(", ", held) + "); restore into a server "
                    + "that holds nothing, or restore with force (poolctl restore --force, or ?force=true) to set what is there aside "
                    + "under pre-restore-<time>/ in the data dir first");
        }
        Map<String, VirtualMachine> vmByDisk = vmList.stream().collect(Collectors.toMap(VirtualMachine::diskId, v -> v, (a, b) -> a));
        for (Allocation a : volumes) {
            Path data = Path.of(maker.pathOf(a));
            if (vmByDisk.containsKey(a.id()) && Files.isRegularFile(data) && qemu.inUse(data)) {
                VirtualMachine vm = vmByDisk.get(a.id());
                throw DomainException.conflict("VM " + vm.namespace() + "/" + vm.name() + " is running (its disk image is locked): "
                        + "stop it before a restore sets it aside");
            }
        }
        // a fresh start's blank template holds nothing: the backup's own of that name simply takes its place
        List<String> blankReplaced = templatesHeld.stream().filter(t -> !kept.contains(t))
                .filter(t -> backup.templates().stream().anyMatch(f -> f.startsWith(t.name() + "."))).map(Template::name).toList();
        checked.run();
        try {
            Optional<Path> aside = Optional.empty();
            if (!volumes.isEmpty() || !vmList.isEmpty() || !kept.isEmpty()) {
                aside = Optional.of(newAsideDir());
                setAside(aside.get(), volumes, vmList, kept, progress);
            }
            blankReplaced.forEach(library::deleteTemplate);
            Set<String> restoredServers = backup.servers().stream().map(Server::name).collect(Collectors.toSet());
            for (Server s : inventory.listServers()) {
                if (!restoredServers.contains(s.name())) {
                    inventory.deleteServer(s.name());
                }
            }
            backup.servers().forEach(inventory::saveServer);
            int templateCount = 0;
            try (ZipFile zip = new ZipFile(file.toFile())) {
                for (String t : backup.templates()) {
                    ZipEntry e = zip.getEntry("templates/" + t);
                    Path target = templates.resolve(t);
                    long[] copied = {0};
                    extract(zip, e, target, b -> progress.progress(copied[0] += b, e.getSize(), "restoring template " + t));
                    target.toFile().setReadOnly();
                    templateCount++;
                }
            }
            backup.allocations().forEach(allocations::addAllocation);
            backup.vms().forEach(vms::addVm);
            int recreated = placeDisksAndRecreate(file, progress);
            return new Restoration(backup.servers().size(), backup.allocations().size(), backup.vms().size(), templateCount, backup.disks(),
                    recreated, aside.map(p -> p.getFileName().toString()));
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot restore the backup: " + e.getMessage());
        }
    }

    private Path newAsideDir() throws IOException {
        String stamp = "pre-restore-" + STAMP.format(clock.instant());
        Path dir = dataDir.resolve(stamp);
        for (int n = 2; Files.exists(dir); n++) {
            dir = dataDir.resolve(stamp + "-" + n);
        }
        Files.createDirectories(dir);
        return dir;
    }

    /**
     * Moves what the server holds to {@code aside} (same layout as the data dir, with the state as
     * {@code pools.db}) and forgets it: the data stays, out of the way of the restore.
     */
    private void setAside(Path aside, List<Allocation> volumes, List<VirtualMachine> vmList, List<Template> replaced,
                          Operations.Progress progress) throws IOException {
        progress.progress(0, 0, "setting what the server holds aside in " + aside.getFileName());
        db.backupTo(aside.resolve("pools.db"));
        for (VirtualMachine vm : vmList) {
            vms.removeVm(vm.id());
        }
        for (Allocation a : volumes) {
            Path data = Path.of(maker.pathOf(a));
            if (Files.exists(data, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Path target = asideOf(aside, data);
                Files.createDirectories(target.getParent());
                Files.move(data, target);
            }
            allocations.removeAllocation(a.id());
        }
        for (Template t : replaced) {
            Path own = library.fileOf(t);
            Path target = asideOf(aside, own);
            Files.createDirectories(target.getParent());
            try {
                Files.createLink(target, own); // the data stays; the library forgets the name and its servers' copies
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(own, target, StandardCopyOption.COPY_ATTRIBUTES);
            }
            library.deleteTemplate(t.name());
        }
    }

    /** Where {@code p} goes in the aside directory: the same place relative to the data dir. */
    private Path asideOf(Path aside, Path p) {
        Path base = dataDir.toAbsolutePath().normalize();
        Path absolute = p.toAbsolutePath().normalize();
        return absolute.startsWith(base) ? aside.resolve(base.relativize(absolute).toString()) : aside.resolve("other").resolve(p.getFileName());
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
