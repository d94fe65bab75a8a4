package dsp.node;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.core.DomainException;
import dsp.core.model.Names;
import dsp.core.model.VolumeFormat;
import dsp.core.port.TemplateLibrary;
import dsp.core.vm.Template;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Templates as read-only image files {@code <name>.qcow2} or {@code <name>.raw} in one library
 * directory; servers get their own read-only copy under their vm pool root on first use.
 */
public final class FileTemplateLibrary implements TemplateLibrary {

    private static final Pattern FILE = Pattern.compile("^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\\.(qcow2|raw)$");

    private record Cached(long modified, long size, Template template) {
    }

    private final Path dir;
    private final QemuImg qemu;
    private final ServerRoots roots;
    private final dsp.core.model.PoolCatalog catalog;
    /** Imports read only files inside this directory: a path sent over the API can reach nothing else. */
    private final Optional<Path> importDir;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    /**
     * @param roots     the servers whose pool roots hold copies of the templates
     * @param importDir where importable images must be; empty refuses imports
     */
    public FileTemplateLibrary(Path dir, QemuImg qemu, ServerRoots roots, dsp.core.model.PoolCatalog catalog, Optional<Path> importDir) {
        this.dir = dir.toAbsolutePath().normalize();
        this.importDir = importDir.map(p -> p.toAbsolutePath().normalize());
        this.qemu = qemu;
        this.roots = roots;
        this.catalog = catalog;
        try {
            Files.createDirectories(this.dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create template directory " + dir, e);
        }
    }

    @Override
    public List<Template> listTemplates() {
        List<Template> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                Matcher m = FILE.matcher(f.getFileName().toString());
                if (m.matches() && Files.isRegularFile(f)) {
                    describeIfStillThere(m.group(1), f).ifPresent(out::add);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list templates in " + dir, e);
        }
        out.sort(Comparator.comparing(Template::name));
        return out;
    }

    @Override
    public Optional<Template> findTemplate(String name) {
        if (!Names.isValid(name)) {
            return Optional.empty();
        }
        for (VolumeFormat f : List.of(VolumeFormat.QCOW2, VolumeFormat.RAW)) {
            Path p = dir.resolve(name + "." + f.display());
            if (Files.isRegularFile(p)) {
                return describeIfStillThere(name, p);
            }
        }
        return Optional.empty();
    }

    /** The library's own copy of a template. */
    public Path fileOf(Template t) {
        return dir.resolve(t.name() + "." + t.format().display());
    }

    @Override
    public Template importTemplate(String name, String sourceFile) {
        return importTemplate(name, sourceFile, dsp.core.operation.Operations.Progress.NONE);
    }

    @Override
    public Template importTemplate(String name, String sourceFile, dsp.core.operation.Operations.Progress progress) {
        Names.require("template", name);
        if (importDir.isEmpty()) {
            throw DomainException.invalid("this server takes no template imports; place " + name + ".qcow2 in its template directory");
        }
        Path source = importable(sourceFile);
        // a private copy first: what is checked is what is converted, whatever happens to the file in the import directory meanwhile
        Path staged = dir.resolve(".tmp-source-" + name);
        Path temporary = null;
        Path target;
        try {
            Files2.deleteTree(staged);
            long total = Files.size(source);
            progress.progress(0, total, "copying " + source.getFileName());
            Files2.copyCounting(source, staged, copied -> progress.progress(copied, total, "copying " + source.getFileName()));
            progress.progress(total, total, "checking " + source.getFileName() + " with qemu-img");
            String format = ImageRules.requireSelfContained(qemu, staged, "source image " + source.getFileName());
            long virtualBytes = qemu.info(staged, format, true).path("virtual-size").asLong();
            target = dir.resolve(name + "." + format);
            temporary = dir.resolve(".tmp-template-" + name + "." + format);
            Files2.deleteTree(temporary);
            // a fresh image holding only the guest's data: nothing of the file's own metadata comes along
            String step = "converting " + source.getFileName() + " with qemu-img";
            qemu.convert(staged, format, temporary, format, false,
                    percent -> progress.progress(Math.round(virtualBytes * percent / 100), virtualBytes, step));
            JsonNode copy = qemu.info(temporary, format, false);
            if (!ImageRules.references(copy).isEmpty() || copy.path("virtual-size").asLong() != virtualBytes) {
                throw DomainException.storageFailed("the converted copy of " + source.getFileName() + " is not what was imported");
            }
            Files2.sync(temporary);
            Files2.makeReadOnly(temporary);
            Files2.publish(temporary, target);
            progress.progress(total, total, "imported " + source.getFileName());
        } catch (IOException e) {
            if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null && f.getReason().contains("symbolic link")) {
                throw DomainException.invalid("source must be the name of an image file in the server's import directory "
                        + "(<data-dir>/imports); copy the image there first");
            }
            throw DomainException.storageFailed("cannot copy " + source.getFileName() + " into the template library: " + e.getMessage());
        } finally {
            Files2.deleteTree(staged);
            if (temporary != null) {
                Files2.deleteTree(temporary);
            }
        }
        return describe(name, target);
    }

    /** Where URL imports are fetched from; replace it to bound sizes differently. */
    private TemplateDownloader downloader = new TemplateDownloader(DEFAULT_DOWNLOAD_LIMIT, java.time.Duration.ofHours(2));
    /** The largest image a URL import fetches unless configured otherwise: 64 GiB. */
    public static final long DEFAULT_DOWNLOAD_LIMIT = 64L << 30;
    private final Map<String, Object> importing = new ConcurrentHashMap<>();

    public FileTemplateLibrary withDownloader(TemplateDownloader downloader) {
        this.downloader = downloader;
        return this;
    }

    /**
     * Fetches the image into {@code .partial-<name>} (kept on a failed transfer, so the next attempt
     * resumes), applies the local import's image rules, converts it to a read-only qcow2 verified with
     * {@code qemu-img compare}, and publishes it atomically. A wrong checksum, an oversize or a
     * refused image leave nothing behind.
     */
    @Override
    public UrlImport importFromUrl(String name, dsp.core.vm.TemplateSource source) {
        Names.require("template", name);
        synchronized (importing.computeIfAbsent(name, n -> new Object())) {
            if (findTemplate(name).isPresent()) {
                throw DomainException.conflict("template '" + name + "' already exists");
            }
            Path partial = dir.resolve(".partial-" + name);
            downloader.download(source, partial);
            try {
                publishConverted(name, partial, "the image at " + source.url());
            } catch (DomainException e) {
                if (e.code() == DomainException.Code.INVALID) {
                    Files2.deleteTree(partial); // refused for what it is: fetching it again cannot help
                }
                throw e;
            }
            Files2.deleteTree(partial);
            return new UrlImport(name, source.url(), source.sha256(), true, Map.of());
        }
    }

    private Template publishConverted(String name, Path image, String what) {
        String format = ImageRules.requireSelfContained(qemu, image, what);
        Path temporary = dir.resolve(".tmp-template-" + name + ".qcow2");
        Files2.deleteTree(temporary);
        try {
            qemu.convert(image, format, temporary, "qcow2", false);
            if (!qemu.sameContent(image, format, temporary, "qcow2")) {
                throw DomainException.storageFailed("the converted copy of " + name + " does not compare equal to the download");
            }
            Files2.sync(temporary);
            Files2.makeReadOnly(temporary);
        } catch (IOException e) {
            Files2.deleteTree(temporary);
            throw DomainException.storageFailed("cannot store template " + name + ": " + e.getMessage());
        } catch (DomainException e) {
            Files2.deleteTree(temporary);
            throw e;
        }
        Files2.publish(temporary, dir.resolve(name + ".qcow2"));
        return findTemplate(name).orElseThrow();
    }

    /**
     * The file to import: one directly inside the import directory, a regular file and not a link.
     * Anything else gets the same answer whether or not it exists, so the API tells nothing about
     * the host's other files; and nothing outside the directory is ever opened.
     */
    private Path importable(String sourceFile) {
        DomainException refused = DomainException.invalid("source must be the name of an image file in the server's import "
                + "directory (<data-dir>/imports); copy the image there first");
        if (sourceFile == null || sourceFile.isBlank() || sourceFile.indexOf('\0') >= 0) {
            throw refused;
        }
        Path allowed = importDir.orElseThrow();
        Path candidate;
        try {
            Path given = Path.of(sourceFile);
            candidate = (given.isAbsolute() ? given : allowed.resolve(given)).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw refused;
        }
        if (!allowed.equals(candidate.getParent()) || candidate.getFileName().toString().startsWith(".")
                || !Files.isRegularFile(candidate, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw refused;
        }
        try {
            if (!candidate.toRealPath().getParent().equals(allowed.toRealPath())) {
                throw refused;
            }
        } catch (IOException e) {
            throw refused;
        }
        return candidate;
    }

    /** Builds a blank qcow2 template of {@code virtualBytes} (the demo's stand-in for a cloud image). */
    public Template createBlank(String name, long virtualBytes) {
        Names.require("template", name);
        Path temporary = dir.resolve(".tmp-template-" + name + ".qcow2");
        Files2.deleteTree(temporary);
        qemu.create(temporary, "qcow2", virtualBytes, Optional.empty(), "qcow2");
        try {
            Files2.makeReadOnly(temporary);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Files2.publish(temporary, dir.resolve(name + ".qcow2"));
        return findTemplate(name).orElseThrow();
    }

    @Override
    public void deleteTemplate(String name) {
        findTemplate(name).ifPresent(t -> {
            String file = t.name() + "." + t.format().display();
            for (Path server : roots.allRoots()) {
                for (var pool : catalog.pools()) {
                    Path copy = server.resolve(pool.directory()).resolve(LocalVolumeMaker.TEMPLATES).resolve(file);
                    if (!copy.equals(fileOf(t))) {
                        Files2.deleteTree(copy);
                    }
                }
            }
            Files2.deleteTree(fileOf(t));
            cache.remove(name);
        });
    }

    @Override
    public Optimized optimizeTemplate(String name) {
        return optimizeTemplate(name, dsp.core.operation.Operations.Progress.NONE);
    }

    @Override
    public Optimized optimizeTemplate(String name, dsp.core.operation.Operations.Progress progress) {
        Template t = findTemplate(name).orElseThrow(() -> DomainException.notFound("template '" + name + "' does not exist"));
        if (t.format() != VolumeFormat.QCOW2) {
            throw DomainException.invalid("template " + name + " is raw; only qcow2 templates can be compressed");
        }
        Path file = fileOf(t);
        Path temporary = dir.resolve(".tmp-optimize-" + name + ".qcow2");
        Files2.deleteTree(temporary);
        try {
            long before = Files.size(file);
            long virtualBytes = t.virtualBytes();
            qemu.convert(file, "qcow2", temporary, "qcow2", true, percent -> progress.progress(
                    Math.round(virtualBytes * percent / 100), virtualBytes, "compressing with qemu-img convert -c"));
            if (!qemu.sameContent(file, "qcow2", temporary, "qcow2", percent -> progress.progress(
                    Math.round(virtualBytes * percent / 100), virtualBytes, "verifying with qemu-img compare"))) {
                throw DomainException.storageFailed("compressed " + name + " does not compare equal to the original; kept the original");
            }
            long after = Files.size(temporary);
            if (after >= before) {
                Files2.deleteTree(temporary);
                return new Optimized(name, before, before);
            }
            Files2.sync(temporary);
            Files2.makeReadOnly(temporary);
            // the servers' copies first, each replaced atomically; the library's own copy last
            for (Path server : roots.allRoots()) {
                for (var pool : catalog.pools()) {
                    Path copy = server.resolve(pool.directory()).resolve(LocalVolumeMaker.TEMPLATES).resolve(file.getFileName());
                    if (Files.exists(copy) && !copy.equals(file)) {
                        Files2.publishReadOnlyCopy(temporary, copy.resolveSibling(".tmp-optimize-" + file.getFileName()), copy);
                    }
                }
            }
            Files2.publish(temporary, file);
            cache.remove(name);
            return new Optimized(name, before, after);
        } catch (IOException e) {
            throw DomainException.storageFailed("cannot optimize template " + name + ": " + e.getMessage());
        } finally {
            Files2.deleteTree(temporary);
        }
    }

    /** Removes half-imported templates. */
    int sweepTemporaries() {
        int n = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (f.getFileName().toString().startsWith(".tmp-")) {
                    Files2.deleteTree(f);
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    /**
     * A template deleted between seeing its file and reading it is gone, not an error: a listing
     * or a look-up racing a delete answers without it. Any other failure is still reported.
     */
    private Optional<Template> describeIfStillThere(String name, Path file) {
        try {
            return Optional.of(describe(name, file));
        } catch (RuntimeException e) {
            if (Files.exists(file)) {
                throw e;
            }
            cache.remove(name);
            return Optional.empty();
        }
    }

    private Template describe(String name, Path file) {
        try {
            long modified = Files.getLastModifiedTime(file).toMillis();
            long size = Files.size(file);
            Cached c = cache.get(name);
            if (c != null && c.modified() == modified && c.size() == size) {
                return c.template();
            }
            VolumeFormat format = VolumeFormat.parse(file.getFileName().toString().substring(name.length() + 1));
            JsonNode info = qemu.info(file, format.display(), true);
            Template t = new Template(name, format,
                    info.path("virtual-size").asLong(), info.path("actual-size").asLong(size));
            cache.put(name, new Cached(modified, size, t));
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read template " + file, e);
        }
    }
}
