package dsp.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dsp.cli.client.CliFailure;
import dsp.core.operation.Operations;
import dsp.kubernetes.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Backups in Kubernetes mode: the state is the cluster's objects, so a backup is the StoragePool,
 * PoolVolume and PoolVirtualMachine objects (spec and status) and the configuration ConfigMap's
 * pools.yaml; a restore creates them again in an empty cluster. The data on the nodes stays where
 * it is: a restored PoolVolume finds its directory or disk on its node again.
 */
final class KubernetesBackup {

    static final String FORMAT = "dynamic-storage-pools-backup";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Kind, plural, zip entry, namespaced. */
    private record Kind(String kind, String plural, boolean namespaced) {
        String entry() {
            return "objects/" + plural + ".json";
        }
    }

    private static final List<Kind> KINDS = List.of(
            new Kind("StoragePool", "storagepools", false),
            new Kind("PoolVolume", "poolvolumes", false),
            new Kind("PoolVirtualMachine", "poolvirtualmachines", true));

    private KubernetesBackup() {
    }

    /** @param progress counted in objects: listed first (how many there are is known only then), then saved one by one */
    static JsonNode backup(Path kubeconfig, Path file, Operations.Progress progress) {
        try (KubernetesClient client = KubeOptions.client(kubeconfig)) {
            ObjectNode manifest = JSON.createObjectNode().put("format", FORMAT).put("version", 1).put("mode", "kubernetes")
                    .put("created_at", Instant.now().toString()).put("cluster", client.getMasterUrl().toString());
            Map<Kind, List<GenericKubernetesResource>> listed = new LinkedHashMap<>();
            for (Kind k : KINDS) {
                progress.progress(0, 0, "listing " + k.kind() + "s");
                listed.put(k, k.namespaced() ? resources(client, k).inAnyNamespace().list().getItems() : resources(client, k).list().getItems());
            }
            long total = listed.values().stream().mapToLong(List::size).sum();
            long done = 0;
            Path temporary = file.toAbsolutePath().resolveSibling(".tmp-" + file.getFileName());
            try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(temporary))) {
                for (Kind k : KINDS) {
                    List<GenericKubernetesResource> items = listed.get(k);
                    String step = "saving " + k.kind() + "s";
                    progress.progress(done, total, step);
                    ArrayNode out = JSON.createArrayNode();
                    for (GenericKubernetesResource i : items) {
                        out.add(portable(i));
                        progress.progress(++done, total, step);
                    }
                    manifest.put(k.entry().substring("objects/".length(), k.entry().length() - ".json".length()), items.size());
                    put(zip, k.entry(), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(out));
                }
                progress.progress(done, total, "saving the configuration");
                ConfigMap cm = client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
                String yaml = cm == null || cm.getData() == null ? null : cm.getData().get(Names.CONFIG_KEY);
                if (yaml != null) {
                    put(zip, "config/pools.yaml", yaml.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                manifest.put("config", yaml != null);
                put(zip, "manifest.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            ObjectNode summary = JSON.createObjectNode();
            summary.put("servers", manifest.path("storagepools").asInt()).put("volumes", manifest.path("poolvolumes").asInt())
                    .put("vms", manifest.path("poolvirtualmachines").asInt()).put("templates", 0);
            return summary;
        } catch (KubernetesClientException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot read the cluster's objects: " + e.getMessage());
        } catch (IOException e) {
            throw new CliFailure(CliFailure.REFUSED, "cannot write " + file + ": " + e.getMessage());
        }
    }

    /** @param progress counted in objects: each one written to the cluster */
    static JsonNode restore(Path kubeconfig, Path file, boolean force, Operations.Progress progress) {
        try (ZipFile zip = new ZipFile(file.toFile()); KubernetesClient client = KubeOptions.client(kubeconfig)) {
            ZipEntry m = zip.getEntry("manifest.json");
            JsonNode manifest = m == null ? null : JSON.readTree(zip.getInputStream(m));
            if (manifest == null || !FORMAT.equals(manifest.path("format").asText())) {
                throw new CliFailure(CliFailure.USAGE, file + " is not a Dynamic Storage Pools backup");
            }
            if (!"kubernetes".equals(manifest.path("mode").asText())) {
                throw new CliFailure(CliFailure.USAGE, file + " is a " + manifest.path("mode").asText()
                        + " backup; restore it with poolctl restore FILE --data-dir DIR");
            }
            List<String> present = new ArrayList<>();
            for (Kind k : KINDS.subList(1, KINDS.size())) {
                int n = (k.namespaced() ? resources(client, k).inAnyNamespace().list() : resources(client, k).list()).getItems().size();
                if (n > 0) {
                    present.add(n + " " + k.kind() + (n == 1 ? "" : "s"));
                }
            }
            if (!present.isEmpty() && !force) {
                throw new CliFailure(CliFailure.USAGE, "the cluster is not empty (" + String.join(", ", present)
                        + "); restore into an empty one, or add --force to write the backup's objects over what is there");
            }
            Map<Kind, JsonNode> saved = new LinkedHashMap<>();
            for (Kind k : KINDS) {
                ZipEntry e = zip.getEntry(k.entry());
                saved.put(k, e == null ? JSON.createArrayNode() : JSON.readTree(zip.getInputStream(e)));
            }
            long total = saved.values().stream().mapToLong(JsonNode::size).sum();
            long done = 0;
            ObjectNode summary = JSON.createObjectNode();
            for (Kind k : KINDS) {
                String step = "restoring " + k.kind() + "s";
                progress.progress(done, total, step);
                int count = 0;
                for (JsonNode o : saved.get(k)) {
                    restoreOne(client, k, JSON.treeToValue(o, GenericKubernetesResource.class));
                    count++;
                    progress.progress(++done, total, step);
                }
                summary.put(k.entry().substring("objects/".length(), k.entry().length() - ".json".length()).replace("poolvirtualmachines", "vms"), count);
            }
            ZipEntry config = zip.getEntry("config/pools.yaml");
            if (config != null) {
                progress.progress(done, total, "restoring the configuration");
                String yaml = new String(zip.getInputStream(config).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                ensureNamespace(client, Names.NAMESPACE);
                ConfigMap cm = client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).get();
                if (cm == null) {
                    client.configMaps().inNamespace(Names.NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata()
                            .withName(Names.CONFIG_MAP).withNamespace(Names.NAMESPACE).endMetadata()
                            .addToData(Names.CONFIG_KEY, yaml).build()).create();
                } else {
                    client.configMaps().inNamespace(Names.NAMESPACE).withName(Names.CONFIG_MAP).edit(c -> {
                        c.getData().put(Names.CONFIG_KEY, yaml);
                        return c;
                    });
                }
            }
            summary.put("config", config != null ? "restored" : "not in the backup (the guide's defaults apply)");
            return summary;
        } catch (java.util.zip.ZipException e) {
            throw new CliFailure(CliFailure.USAGE, file + " is not a readable backup: " + e.getMessage());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliFailure(CliFailure.USAGE, "backup file " + file + " does not exist");
        } catch (KubernetesClientException e) {
            throw new CliFailure(CliFailure.UNREACHABLE, "cannot write the cluster's objects: " + e.getMessage());
        } catch (IOException e) {
            throw new CliFailure(CliFailure.REFUSED, "cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Creates the object (or writes over it with --force), then its status through the status subresource. */
    private static void restoreOne(KubernetesClient client, Kind k, GenericKubernetesResource o) {
        Object status = o.getAdditionalProperties().get("status");
        String ns = o.getMetadata().getNamespace();
        if (k.namespaced()) {
            ensureNamespace(client, ns);
        }
        var ops = resources(client, k);
        Resource<GenericKubernetesResource> one = k.namespaced() ? ops.inNamespace(ns).resource(o) : ops.resource(o);
        GenericKubernetesResource existing = k.namespaced() ? ops.inNamespace(ns).withName(o.getMetadata().getName()).get()
                : ops.withName(o.getMetadata().getName()).get();
        GenericKubernetesResource written;
        if (existing == null) {
            written = one.create();
        } else {
            o.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
            written = one.update();
        }
        if (status != null) {
            written.setAdditionalProperty("status", status);
            (k.namespaced() ? ops.inNamespace(ns).resource(written) : ops.resource(written)).updateStatus();
        }
    }

    private static void ensureNamespace(KubernetesClient client, String ns) {
        if (client.namespaces().withName(ns).get() == null) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        }
    }

    /** The object without what the API server assigns (uid, resourceVersion, timestamps, managed fields). */
    private static JsonNode portable(GenericKubernetesResource r) {
        ObjectNode o = JSON.valueToTree(r);
        ObjectNode meta = (ObjectNode) o.path("metadata");
        for (String f : List.of("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink", "deletionTimestamp",
                "deletionGracePeriodSeconds")) {
            meta.remove(f);
        }
        return o;
    }

    private static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> resources(
            KubernetesClient client, Kind k) {
        // named in full, so no discovery round trip is needed to find the plural
        return client.genericKubernetesResources(new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
                .withGroup("dynamicpools.io").withVersion("v1alpha1").withKind(k.kind()).withPlural(k.plural())
                .withNamespaced(k.namespaced()).build());
    }

    private static void put(ZipOutputStream zip, String entry, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(entry));
        zip.write(bytes);
        zip.closeEntry();
    }
}
