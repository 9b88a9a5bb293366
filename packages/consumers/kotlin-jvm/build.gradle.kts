// A Kotlin program on the JVM using token-exchange as a Gradle user adds it. The packages suite
// (`cargo xtask test --lang packages`) does not run Gradle: it compiles src/main with kotlinc
// against exactly what this dependency brings (the jar of `cargo xtask jar`, JNA,
// kotlinx-coroutines, the Kotlin standard library) and runs `mainClass` with no
// jna.library.path: JNA finds the Rust library inside the jar.
plugins {
    kotlin("jvm") version "2.1.0"
    application
}

repositories {
    mavenCentral()
}

dependencies {
    implementation("com.tokenexchange:token-exchange:0.1.0")
}

application {
    mainClass.set("app.MainKt")
}
