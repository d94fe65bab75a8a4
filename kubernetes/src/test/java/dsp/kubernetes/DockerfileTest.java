package dsp.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/Dockerfile, checked without a Docker engine (none runs on the project's machines): it
 * parses into stages; the build stage gets every module's sources and builds the jar the runtime
 * stage copies, under the name the shade plugin gives it; every file copied from the context
 * exists and is not excluded by .dockerignore; the runtime runs as a non-root user; the guide's
 * monitor-pools.sh lands at the path the guide runs.
 */
class DockerfileTest {

    private static final Path REPO = Path.of("..");

    record Instruction(String keyword, String args) {
    }

    record Stage(String image, String name, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }
    }

    /** Dockerfile syntax: comments, line continuations, one instruction per logical line, FROM starts a stage. */
    static List<Stage> parse(Path dockerfile) throws Exception {
        List<Stage> stages = new ArrayList<>();
        StringBuilder logical = new StringBuilder();
        for (String line : Files.readAllLines(dockerfile)) {
            String t = line.strip();
            if (t.startsWith("#") || (t.isEmpty() && logical.isEmpty())) {
                continue;
            }
            if (t.endsWith("\\")) {
                logical.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            logical.append(t);
            String[] kw = logical.toString().strip().split("\\s+", 2);
            logical.setLength(0);
            String keyword = kw[0].toUpperCase();
            String args = kw.length > 1 ? kw[1] : "";
            assertThat(keyword).as("instruction").isIn("FROM", "RUN", "COPY", "ADD", "WORKDIR", "USER", "ENTRYPOINT", "CMD", "ENV", "ARG",
                    "EXPOSE", "LABEL", "VOLUME", "HEALTHCHECK", "SHELL", "STOPSIGNAL");
            if (keyword.equals("FROM")) {
                Matcher m = Pattern.compile("^(\\S+)(?:\\s+[Aa][Ss]\\s+(\\S+))?$").matcher(args);
                assertThat(m.matches()).as("FROM " + args).isTrue();
                stages.add(new Stage(m.group(1), m.group(2), new ArrayList<>()));
            } else {
                assertThat(stages).as(keyword + " before any FROM").isNotEmpty();
                stages.get(stages.size() - 1).instructions().add(new Instruction(keyword, args));
            }
        }
        return stages;
    }

    /** COPY [--from=x] [--chmod=..] src... dest */
    private static Map<String, String> flags(String args) {
        Map<String, String> f = new TreeMap<>();
        for (String w : args.split("\\s+")) {
            if (w.startsWith("--")) {
                String[] kv = w.substring(2).split("=", 2);
                f.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return f;
    }

    private static List<String> operands(String args) {
        return Arrays.stream(args.split("\\s+")).filter(w -> !w.startsWith("--")).toList();
    }

    @Test
    void buildsFromSourceAndRunsTheJarItBuiltAsANonRootUser() throws Exception {
        List<Stage> stages = parse(REPO.resolve("deploy/Dockerfile"));
        assertThat(stages).hasSizeGreaterThanOrEqualTo(2);
        Stage build = stages.get(0);
        Stage runtime = stages.get(stages.size() - 1);
        assertThat(build.name()).isEqualTo("build");
        for (Stage s : stages) {
            assertThat(s.image()).as("base images are pinned to a tag").matches(".+:[^:]+").doesNotEndWith(":latest");
        }

        // every module of the reactor goes into the build stage, and the build makes the cli jar
        String pom = Files.readString(REPO.resolve("pom.xml"));
        Matcher modules = Pattern.compile("<module>([^<]+)</module>").matcher(pom);
        List<String> copied = build.all("COPY").stream().map(i -> operands(i.args()).get(0)).toList();
        assertThat(copied).contains("pom.xml");
        while (modules.find()) {
            assertThat(copied).as("module " + modules.group(1) + " is copied into the build").contains(modules.group(1));
        }
        String mvn = build.all("RUN").stream().map(Instruction::args).filter(a -> a.contains("mvn")).findFirst().orElseThrow();
        assertThat(mvn).contains("package").contains("-pl cli").contains("-am");
        String workdir = build.all("WORKDIR").get(0).args();

        // the runtime copies exactly what the shade plugin wrote, where the launcher runs it from
        Matcher finalName = Pattern.compile("<finalName>([^<]+)</finalName>").matcher(Files.readString(REPO.resolve("cli/pom.xml")));
        assertThat(finalName.find()).isTrue();
        Instruction jar = runtime.all("COPY").stream().filter(i -> "build".equals(flags(i.args()).get("from"))).findFirst().orElseThrow();
        List<String> jarOps = operands(jar.args());
        assertThat(jarOps.get(0)).isEqualTo(workdir + "/cli/target/" + finalName.group(1) + ".jar");
        // and runs it through the launcher every install uses (bin/poolctl: heap and collector per role), told where the jar is
        assertThat(runtime.all("ENV").stream().map(Instruction::args)).contains("POOLCTL_JAR=" + jarOps.get(1));
        Instruction launcher = runtime.all("COPY").stream().filter(i -> i.args().contains("/usr/local/bin/poolctl")).findFirst().orElseThrow();
        assertThat(operands(launcher.args())).containsExactly("bin/poolctl", "/usr/local/bin/poolctl");
        assertThat(Files.readString(REPO.resolve("bin/poolctl"))).contains("jar=\"${POOLCTL_JAR:-").contains("-jar \"$jar\"");

        // every file taken from the context is there, and not left out by .dockerignore
        List<String> ignored = Files.readAllLines(REPO.resolve(".dockerignore")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        for (Stage s : stages) {
            for (Instruction i : s.all("COPY")) {
                if (flags(i.args()).containsKey("from")) {
                    continue;
                }
                List<String> ops = operands(i.args());
                for (String src : ops.subList(0, ops.size() - 1)) {
                    assertThat(REPO.resolve(src)).as("COPY " + src).exists();
                    assertThat(ignored).as(src + " is excluded by .dockerignore").doesNotContain(src);
                }
            }
        }
        assertThat(ignored).contains("**/target"); // a local build's output never goes into the image's build

        // the guide's monitor script, at the guide's path, runnable
        Instruction monitor = runtime.all("COPY").stream().filter(i -> i.args().contains("monitor-pools.sh")).findFirst().orElseThrow();
        assertThat(operands(monitor.args())).containsExactly("deploy/image/monitor-pools.sh", "/k8s-storage-pool/monitor-pools.sh");
        assertThat(flags(monitor.args())).containsEntry("chmod", "0755");
        Process sh = new ProcessBuilder("sh", "-n", REPO.resolve("deploy/image/monitor-pools.sh").toString()).redirectErrorStream(true).start();
        assertThat(sh.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(sh.exitValue()).as(new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();

        // not root: a numeric user (runAsNonRoot can verify it) that the image creates
        String user = runtime.all("USER").get(runtime.all("USER").size() - 1).args();
        assertThat(user).matches("[1-9][0-9]*:[0-9]+");
        String uid = user.split(":")[0];
        assertThat(runtime.all("RUN").stream().anyMatch(r -> r.args().contains("useradd --uid " + uid))).isTrue();
        assertThat(runtime.all("ENTRYPOINT").get(0).args()).isEqualTo("[\"poolctl\"]");
        assertThat(runtime.all("RUN").stream().anyMatch(r -> r.args().contains("qemu-utils"))).as("qemu-img for VM disks").isTrue();
    }
}
