// Extra golden vectors written by Dubbo's hessian-lite 4.0.4, for what the shared set
// does not cover: binaries and long strings at non-zero offsets of Java's 8 KiB output
// buffer (Hessian2Output's chunk boundaries depend on how full that buffer is).
//
// Build and run (writes ../vectors-extra/*.bin):
//   JAR=~/.m2/repository/org/apache/dubbo/hessian-lite/4.0.4/hessian-lite-4.0.4.jar
//   javac -cp $JAR -d /tmp/extra ExtraVectors.java && java -cp $JAR:/tmp/extra ExtraVectors ../vectors-extra
import com.alibaba.com.caucho.hessian.io.Hessian2Output;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.Serializable;
import java.util.HashMap;

public class ExtraVectors {
    /** org.example.Blob */
    public static class Blob implements Serializable {
        public String name;
        public int n;
        public byte[] data;
    }

    interface W { void write(Hessian2Output out) throws Exception; }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + 7);
        return b;
    }

    static String repeat(String s, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(s);
        return sb.toString();
    }

    static void write(File dir, String name, W w) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        Hessian2Output out = new Hessian2Output(bos);
        w.write(out);
        out.flush();
        try (FileOutputStream f = new FileOutputStream(new File(dir, name + ".bin"))) {
            f.write(bos.toByteArray());
        }
    }

    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        dir.mkdirs();
        // A Dubbo request body whose byte[] argument starts after the header strings.
        write(dir, "body_with_binary_arg", out -> {
            out.writeString("2.0.2");
            out.writeString("org.example.UploadService");
            out.writeString("0.0.0");
            out.writeString("upload");
            out.writeString("[B");
            out.writeBytes(pattern(20000));
            out.writeObject(new HashMap<String, String>());
        });
        // Java's buffer nearly full when a string and then a binary are written.
        write(dir, "binary_after_nearly_full_buffer", out -> {
            out.writeString(repeat("x", 8150));
            out.writeString(repeat("y", 60));
            out.writeBytes(pattern(20000));
        });
        // Binaries of sizes around the chunk size at several buffer offsets.
        write(dir, "binaries_at_offsets", out -> {
            int[] sizes = {8186, 8189, 8190, 16000, 100};
            for (int k = 0; k < 5; k++) {
                out.writeString(repeat("o", 37 * k + 3));
                out.writeBytes(pattern(sizes[k]));
            }
        });
        // A POJO (first instance: class definition first) holding a binary that crosses
        // the buffer boundary, then a second instance.
        write(dir, "pojo_with_binary", out -> {
            Blob a = new Blob();
            a.name = "first";
            a.n = 1;
            a.data = pattern(9000);
            Blob b = new Blob();
            b.name = "second";
            b.n = 2;
            b.data = pattern(30000);
            out.writeObject(a);
            out.writeObject(b);
        });
        // Long strings with non-ASCII text and emoji after some data (printString flushes
        // per character; the bytes must not depend on it).
        write(dir, "long_strings_after_data", out -> {
            out.writeBytes(pattern(5000));
            out.writeString(repeat("\u4e2d", 33000));
            out.writeString(repeat("ab\ud83d\ude00", 8200));
            out.writeBytes(pattern(12000));
        });
    }
}
