// The scenario-script tests land here.
