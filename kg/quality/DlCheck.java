/*
 * The OWL 2 DL check of `kg validate`, run by kg/reasoner_check.py as
 *     java -cp HermiT.jar kg/DlCheck.java GRAPH.nt
 * (Java's source-file mode: a headless JRE is enough, nothing to build). It uses the OWL API 3.4 and
 * the HermiT 1.3.8 that owlready2 ships in HermiT.jar, the HermiT its sync_reasoner() runs.
 *
 * HermiT runs with its strict defaults, as sync_reasoner() does: a datatype outside the OWL 2
 * datatype map is a refusal to report, not something to skip silently (HermiT's Protégé plug-in
 * skips it, and then cannot check those values at all).
 *
 * Output: one record per line, fields separated by tabs (tabs and line breaks inside a field become
 * spaces):
 *     profile       KIND  DESCRIPTION  AXIOM   an OWL 2 DL profile violation (OWL API)
 *     refused       MESSAGE                    HermiT cannot load the ontology
 *     inconsistent                             no model: nothing can satisfy ontology + data
 *     unsatisfiable CLASS                      a class that can have no member
 *     because       AXIOM                      one axiom of a minimal set causing the line before
 *     classified    CLASSES  AXIOMS            HermiT classified the ontology (the last line)
 */

import java.io.File;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.semanticweb.HermiT.Configuration;
import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.HermiT.datatypes.MalformedLiteralException;
import org.semanticweb.HermiT.datatypes.UnsupportedDatatypeException;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLAxiom;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyCreationException;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class DlCheck {
    /** Each explanation costs a few dozen HermiT runs: explain only the first few unsatisfiable classes. */
    static final int EXPLAINED_CLASSES = 3;

    public static void main(String[] args) throws Exception {
        OWLOntology ontology = OWLManager.createOWLOntologyManager().loadOntologyFromOntologyDocument(new File(args[0]));
        for (OWLProfileViolation violation : new OWL2DLProfile().checkOntology(ontology).getViolations()) {
            OWLAxiom axiom = violation.getAxiom();
            String description = violation.toString();
            if (axiom != null && description.contains(axiom.toString())) {  // "what: <IRI> [AXIOM in ONTOLOGY]"
                description = description.substring(0, description.indexOf(axiom.toString())).replaceAll("\\s*\\[$", "");
            }
            emit("profile", violation.getClass().getSimpleName(), description, axiom == null ? "" : axiom.toString());
        }
        Configuration strict = new Configuration();
        strict.throwInconsistentOntologyException = false;
        Reasoner hermit;
        try {
            hermit = new Reasoner(strict, ontology);
        } catch (UnsupportedDatatypeException | MalformedLiteralException e) {
            emit("refused", e.getMessage());
            return;
        }
        List<OWLAxiom> axioms = new ArrayList<>(ontology.getLogicalAxioms());
        if (!hermit.isConsistent()) {
            emit("inconsistent");
            explain(axioms, null);
            return;
        }
        int explained = 0;
        for (OWLClass unsatisfiable : new TreeSet<>(hermit.getUnsatisfiableClasses().getEntitiesMinusBottom())) {
            emit("unsatisfiable", unsatisfiable.getIRI().toString());
            if (explained++ < EXPLAINED_CLASSES) {
                explain(axioms, unsatisfiable);
            }
        }
        emit("classified", String.valueOf(ontology.getClassesInSignature().size()), String.valueOf(axioms.size()));
    }

    /** Print a minimal set of {@code axioms} in which {@code what} is unsatisfiable (null: which is inconsistent). */
    static void explain(List<OWLAxiom> axioms, OWLClass what) throws OWLOntologyCreationException {
        Set<String> reasons = new TreeSet<>();
        for (OWLAxiom axiom : minimal(new ArrayList<>(), false, axioms, what)) {
            reasons.add(axiom.toString());
        }
        for (String reason : reasons) {
            emit("because", reason);
        }
    }

    /**
     * QuickXplain (Junker, AAAI 2004): the axioms of {@code candidates} that, with {@code background}, HermiT still
     * finds broken, each one needed. Halving the candidates takes a few dozen HermiT runs instead of one per axiom.
     */
    static List<OWLAxiom> minimal(List<OWLAxiom> background, boolean grew, List<OWLAxiom> candidates, OWLClass what)
            throws OWLOntologyCreationException {
        if (grew && broken(background, what)) {
            return new ArrayList<>();
        }
        if (candidates.size() <= 1) {
            return candidates;
        }
        List<OWLAxiom> first = candidates.subList(0, candidates.size() / 2);
        List<OWLAxiom> second = candidates.subList(candidates.size() / 2, candidates.size());
        List<OWLAxiom> fromSecond = minimal(join(background, first), true, second, what);
        List<OWLAxiom> fromFirst = minimal(join(background, fromSecond), !fromSecond.isEmpty(), first, what);
        return join(fromFirst, fromSecond);
    }

    static boolean broken(List<OWLAxiom> axioms, OWLClass what) throws OWLOntologyCreationException {
        OWLOntology part = OWLManager.createOWLOntologyManager().createOntology(new HashSet<>(axioms));
        Reasoner hermit = new Reasoner(new Configuration(), part);
        try {
            return !hermit.isConsistent() || (what != null && !hermit.isSatisfiable(what));
        } finally {
            hermit.dispose();
        }
    }

    static List<OWLAxiom> join(List<OWLAxiom> a, List<OWLAxiom> b) {
        List<OWLAxiom> joined = new ArrayList<>(a);
        joined.addAll(b);
        return joined;
    }

    static void emit(String... fields) {
        StringBuilder line = new StringBuilder();
        for (String field : fields) {
            if (line.length() > 0) {
                line.append('\t');
            }
            line.append(field.replaceAll("[\\t\\r\\n]+", " ").trim());
        }
        System.out.println(line);
    }
}
