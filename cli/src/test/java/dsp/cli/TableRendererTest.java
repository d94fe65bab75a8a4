package dsp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dsp.cli.client.JsonTrees;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CLI's one table renderer: lists, single objects and the status table all go through Output.render. */
class TableRendererTest {

    private static JsonNode json(String text) throws Exception {
        return JsonTrees.parse(text);
    }

    @Test
    void columnsAreAsWideAsTheirWidestCellTextOnTheLeftFiguresOnTheRight() throws Exception {
        JsonNode rows = json("""
                [{"name": "a", "size": 5, "phase": "Ready"}, {"name": "longer-name", "size": 1500, "phase": null}]""");
        String table = Output.render(rows, List.of(Output.col("NAME", "name"), Output.col("SIZE", "size").alignedRight(),
                Output.col("PHASE", "phase")));
        assertThat(table.lines()).containsExactly(
                "NAME         SIZE  PHASE",
                "a               5  Ready",
                "longer-name  1500  -");
    }

    @Test
    void anEmptyListIsItsHeader() throws Exception {
        assertThat(Output.render(json("[]"), List.of(Output.col("ID", "id"), Output.col("NAME", "name"))).lines())
                .containsExactly("ID  NAME");
    }

    @Test
    void theStatusTableIsTheGuidesFiguresWithABarAndHealth() throws Exception {
        JsonNode status = json("""
                {"k8s_pool": {"servers": 3, "total_capacity_gb": 4500, "used_capacity_gb": 1200,
                              "available_capacity_gb": 3300, "usage_percentage": 26.67},
                 "vm_pool": {"servers": 2, "total_capacity_gb": 3000, "used_capacity_gb": 2850,
                             "available_capacity_gb": 150, "usage_percentage": 95, "stranded_volumes": 2,
                             "stranded_capacity_gb": 100},
                 "system_reserve": {"total_servers": 5, "total_capacity_gb": 1500, "used_capacity_gb": 200,
                                    "available_capacity_gb": 1300, "usage_percentage": 13.33}}""");
        JsonNode health = json("""
                {"status": "critical", "pools": {"k8s_pool": "healthy", "vm_pool": "critical"},
                 "warnings": ["k8s is fine"], "errors": ["vm_pool usage 95.00% is above 90%"]}""");
        assertThat(StatusCommand.render(status, health).lines()).containsExactly(
                "POOL            SERVERS  CAPACITY     USED  AVAILABLE  USAGE                           HEALTH",
                "k8s_pool              3   4500 GB  1200 GB    3300 GB  [#####...............]  26.67%  healthy",
                "vm_pool               2   3000 GB  2850 GB     150 GB  [###################.]  95.00%  critical",
                "system_reserve        5   1500 GB   200 GB    1300 GB  [###.................]  13.33%  -",
                "vm_pool: 2 stranded volume(s), 100 GB",
                "",
                "Overall health: critical",
                "  CRITICAL vm_pool usage 95.00% is above 90%",
                "  WARNING  k8s is fine");
    }

    @Test
    void aBarIsClampedToItsWidth() {
        assertThat(Output.bar(-5, 4)).isEqualTo("[....]");
        assertThat(Output.bar(50, 4)).isEqualTo("[##..]");
        assertThat(Output.bar(250, 4)).isEqualTo("[####]");
    }
}
