package linkguard.neo4j;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;

/**
 * Bulk imports run inside the dev server's JVM, so that an initial load does not pay for two JVM
 * starts: the database is stopped, {@code neo4j-admin database import full} runs in this JVM on the
 * stopped store, and the database starts again.
 *
 * <p>Only the imported database is stopped and started (Bolt, HTTP, the system database and the
 * plugins stay up): Community Edition refuses {@code STOP DATABASE}, but its database manager stops
 * and starts a database object the same way the DBMS does at shutdown and start-up. When that is
 * not possible the whole DBMS is shut down and started again on the same ports instead.
 *
 * <p>The Python side asks for an import by writing {@code run/import-request.txt} (the importer's
 * arguments, one per line; written beside and renamed into place) and waits for {@code
 * run/import-result.json}. The ready file is removed while the DBMS is down and written again once
 * it is back, as at start-up. The importer's output goes to {@code logs/import.log}.
 */
final class BulkImports implements Runnable {
    static final String REQUEST = "run/import-request.txt";
    static final String RESULT = "run/import-result.json";
    static final String LOG = "logs/import.log";

    /** Stops and starts the DBMS; {@code start} returns the bootstrapper's exit code. */
    interface Dbms {
        void stop();

        int start() throws IOException;

        /** Stops one database and leaves the DBMS running; false when that is not possible. */
        boolean stopDatabase(String name);

        /** Starts a database {@link #stopDatabase} stopped; 0 when it is online again. */
        int startDatabase(String name);
    }

    private final Path home;
    private final Dbms dbms;

    BulkImports(Path home, Dbms dbms) {
        this.home = home;
        this.dbms = dbms;
    }

    /** Starts the daemon thread that watches for requests. */
    static void watch(Path home, Dbms dbms) {
        Thread thread = new Thread(new BulkImports(home, dbms), "devserver-bulk-imports");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run() {
        Path request = home.resolve(REQUEST);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                if (Files.isRegularFile(request)) {
                    List<String> args = Files.readAllLines(request, StandardCharsets.UTF_8);
                    Files.delete(request);
                    handle(args);
                }
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                writeResult(Map.of("exit_code", 70, "error", String.valueOf(e)));
            }
        }
    }

    private void handle(List<String> args) throws IOException {
        String database = args.isEmpty() ? "neo4j" : args.get(args.size() - 1);
        long t0 = System.nanoTime();
        boolean databaseOnly = dbms.stopDatabase(database);
        if (!databaseOnly) {
            dbms.stop();
        }
        long t1 = System.nanoTime();
        int code;
        Path log = home.resolve(LOG);
        Files.createDirectories(log.getParent());
        try (PrintStream out = new PrintStream(new FileOutputStream(log.toFile()), true, StandardCharsets.UTF_8);
                DefaultFileSystemAbstraction fs = new DefaultFileSystemAbstraction()) {
            ExecutionContext context = new ExecutionContext(home, home.resolve("conf"), out, out, fs);
            code = AdminTool.execute(context, args.toArray(new String[0]));
        } catch (RuntimeException e) {
            code = 70;
        }
        long t2 = System.nanoTime();
        int started = databaseOnly ? dbms.startDatabase(database) : dbms.start();
        long t3 = System.nanoTime();
        writeResult(Map.of(
                "exit_code", code,
                "start_code", started,
                "restart", databaseOnly ? "database" : "dbms",
                "stop_ms", (t1 - t0) / 1_000_000L,
                "import_ms", (t2 - t1) / 1_000_000L,
                "start_ms", (t3 - t2) / 1_000_000L));
    }

    private void writeResult(Map<String, Object> values) {
        try {
            Path result = home.resolve(RESULT);
            Path tmp = result.resolveSibling(result.getFileName() + ".tmp");
            Files.writeString(tmp, DevServer.toJson(new java.util.LinkedHashMap<>(values)) + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, result, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("linkguard-neo4j-devserver: cannot write the import result: " + e);
        }
    }
}
