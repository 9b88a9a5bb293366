// A Java program using token-exchange through its CompletableFuture surface
// (TokenExchangeFutures), as a Gradle user adds it. The packages suite does not run Gradle: it
// compiles src/main with javac against exactly what this dependency brings (the jar of
// `cargo xtask jar`, JNA, kotlinx-coroutines, the Kotlin standard library) and runs `mainClass`
// with no jna.library.path: JNA finds the Rust library inside the jar.
plugins {
    java
    application
}

repositories {
    mavenCentral()
}

dependencies {
    implementation("com.tokenexchange:token-exchange:0.1.0")
}

application {
    mainClass.set("app.Main")
}
