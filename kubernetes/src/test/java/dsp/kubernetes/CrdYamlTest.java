package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dsp.kubernetes.crd.PoolTemplate;
import dsp.kubernetes.crd.PoolVirtualMachine;
import dsp.kubernetes.crd.PoolVolume;
import dsp.kubernetes.crd.StoragePool;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/crds is what the CRD classes generate (fabric8's CRD generator): their schema, printer
 * columns, status subresource and validation live in the classes, so the YAML cannot drift from
 * the code. {@code make crds} writes the files again after a class changed.
 */
class CrdYamlTest {

    static final List<Class<? extends CustomResource<?, ?>>> CRDS =
            List.of(StoragePool.class, PoolVolume.class, PoolVirtualMachine.class, PoolTemplate.class);
    private static final Path DEPLOYED = Path.of("..", "deploy", "crds");

    @Test
    void deployCrdsIsWhatTheClassesGenerate(@TempDir Path generated) throws Exception {
        generate(generated);
        boolean write = Boolean.getBoolean("crds.write");
        for (Class<? extends CustomResource<?, ?>> type : CRDS) {
            String name = HasMetadata.getPlural(type) + "." + HasMetadata.getGroup(type);
            String yaml = Files.readString(generated.resolve(CRDGenerator.getOutputName(name, "v1") + ".yml"));
            Path deployed = DEPLOYED.resolve(HasMetadata.getPlural(type) + ".yaml");
            if (write) {
                Files.writeString(deployed, yaml);
            }
            assertThat(Files.exists(deployed) ? Files.readString(deployed) : "")
                    .as("deploy/crds/%s differs from what %s generates; run `make crds` and commit deploy/crds",
                            deployed.getFileName(), type.getSimpleName())
                    .isEqualTo(yaml);
        }
        try (var files = Files.list(DEPLOYED)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .as("deploy/crds holds only generated CRDs")
                    .containsExactlyInAnyOrderElementsOf(CRDS.stream().map(t -> HasMetadata.getPlural(t) + ".yaml").toList());
        }
    }

    @SuppressWarnings("unchecked")
    private static void generate(Path dir) {
        new CRDGenerator().inOutputDir(dir.toFile()).forCRDVersions("v1").withMinQuotes(true)
                .withPostProcessor(new CRDPostProcessor() {
                    @Override
                    public HasMetadata process(HasMetadata crd, String crdVersion) {
                        return columnsInDeclaredOrder(crd);
                    }
                })
                .customResourceClasses(CRDS.toArray(new Class[0])).generate();
    }

    /** The generator sorts printer columns by name; kubectl shows them in the order the class declares them. */
    private static HasMetadata columnsInDeclaredOrder(HasMetadata generated) {
        CustomResourceDefinition crd = (CustomResourceDefinition) generated;
        Class<?> type = CRDS.stream().filter(t -> HasMetadata.getKind(t).equals(crd.getSpec().getNames().getKind())).findFirst()
                .orElseThrow();
        List<String> declared = Arrays.stream(type.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name).toList();
        for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
            v.getAdditionalPrinterColumns().sort(Comparator.comparingInt(c -> declared.indexOf(c.getName())));
        }
        return crd;
    }
}
